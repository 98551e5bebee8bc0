"""The tenancy world the authorisation matrix runs in: two partners, three customers,
one actor per role, and target objects (users, auditors, jobs, tokens, sources,
archived messages) in the own customer, a sibling customer of the same partner and
a customer of a foreign partner."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kustos.accounts.models import User
from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import messages as message_service
from kustos.archive.services import quarantine, sources, uploads
from kustos.archive.services.ingest import Ingestor
from kustos.compliance.services import procedure_doc
from kustos.compliance.services.facts import InstallationFacts
from kustos.core import runtime
from kustos.jobs.models import Job
from kustos.tenants.models import Customer
from tests import factories

ROLES = ("operator", "partner_admin", "partner_tech", "customer_admin", "end_user", "auditor")
TWO_FACTOR = {"operator", "partner_admin", "partner_tech"}

# Names that identify the sibling customer and the foreign partner's objects: they must never
# appear in a response to a role that cannot see them.
SIBLING_MARKERS = ("Alpha Sibling AG", "target@alpha-sibling.example", "auditor@alpha-sibling.example",
                   "Sibling quarterly figures")
FOREIGN_MARKERS = ("Bravo Partner Secret", "Bravo Secret GmbH", "target@bravo.example", "auditor@bravo.example",
                   "Bravo board minutes")


@dataclass
class Targets:
    """One object kind in the own customer, the sibling customer and the foreign customer."""

    own: Any
    sibling: Any
    foreign: Any

    def items(self) -> list[tuple[str, Any]]:
        return [("own", self.own), ("sibling", self.sibling), ("foreign", self.foreign)]


@dataclass
class World:
    actors: dict[str, User]
    customers: Targets
    partners: Targets
    users: Targets
    auditors: Targets
    jobs: Targets
    sources: Targets
    messages: Targets
    uploads: Targets
    uploads_done: Targets
    attachment_part: dict[str, str]
    foreign_token: Any
    secrets: dict[str, str] = field(default_factory=dict)
    quarantine: Targets | None = None

    def markers_hidden_from(self, role: str) -> tuple[str, ...]:
        if role == "operator":
            return ()
        if role in ("partner_admin", "partner_tech"):
            return FOREIGN_MARKERS
        return FOREIGN_MARKERS + SIBLING_MARKERS


def _mail(subject: str, to: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "sender@supplier.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2025, 3, 1 + n, 9, 0, tzinfo=timezone.get_current_timezone()))
    msg["Message-ID"] = f"<authz-{n}@supplier.example>"
    msg.set_content("figures attached")
    msg.add_attachment(b"col1;col2\n1;2\n", maintype="text", subtype="csv", filename="figures.csv")
    return msg.as_bytes()


def _archive(customer: Customer, mailbox: str, subject: str, n: int) -> Message:
    with Ingestor(customer, workers=1, batch_size=4).session() as ing:
        ing.ingest([Incoming(raw=_mail(subject, mailbox, n), mailbox=mailbox, folders=["INBOX"], source="test")])
    return Message.objects.get(customer=customer, subject=subject)


def _job(customer: Customer) -> Job:
    return Job.objects.create(kind="source.run", customer_id=customer.id, customer_name=customer.name,
                              partner=customer.partner, state=Job.State.SUCCEEDED, progress=1.0)


def _source(customer: Customer, mailbox: str):
    return sources.add(customer, "imap", {"host": "127.0.0.1", "port": 9, "username": mailbox,
                                          "security": "none"}, "not-a-real-password")


def _upload(customer: Customer, done: bool):
    upload = uploads.create(customer, "old-mail.mbox", 10, "import@example.org", actor="matrix")
    if done:
        uploads.append(upload, 0, io.BytesIO(b"From x\n\nhi"), 10)
    return upload


def _quarantined(customer: Customer):
    store = runtime.vault().store(customer.id)
    return quarantine.keep(store, customer, source="import", source_ref="/srv/import/scan.msg",
                           reason="not an Outlook MSG file", data=b"\x89PNG\r\n\x1a\nmatrix",
                           mailbox="import@example.org")


def build() -> World:
    pa, pb = factories.partner("Alpha Partner"), factories.partner("Bravo Partner Secret")
    a1, a2 = factories.customer(pa, "Alpha Own GmbH"), factories.customer(pa, "Alpha Sibling AG")
    b1 = factories.customer(pb, "Bravo Secret GmbH")
    actors = {
        "operator": factories.user("operator@install.example", "operator", totp=True),
        "partner_admin": factories.user("admin@alpha.example", "partner_admin", partner=pa, totp=True),
        "partner_tech": factories.user("tech@alpha.example", "partner_tech", partner=pa, totp=True),
        "customer_admin": factories.user("admin@alpha-own.example", "customer_admin", customer=a1),
        "end_user": factories.user("anna@alpha-own.example", "end_user", customer=a1),
        "auditor": factories.user("auditor@tax-office.example", "auditor", customer=a1),
    }
    users = Targets(factories.user("target@alpha-own.example", "end_user", customer=a1),
                    factories.user("target@alpha-sibling.example", "end_user", customer=a2),
                    factories.user("target@bravo.example", "end_user", customer=b1))
    auditors = Targets(factories.user("auditor@alpha-own.example", "auditor", customer=a1),
                       factories.user("auditor@alpha-sibling.example", "auditor", customer=a2),
                       factories.user("auditor@bravo.example", "auditor", customer=b1))
    msgs = Targets(_archive(a1, "anna@alpha-own.example", "Own quarterly figures", 1),
                   _archive(a2, "x@alpha-sibling.example", "Sibling quarterly figures", 2),
                   _archive(b1, "y@bravo.example", "Bravo board minutes", 3))
    parts = {label: message_service.parsed(m).attachments[0].part_path for label, m in msgs.items()}
    for _label, m in msgs.items():  # auditors' grants default to tax-relevant mail only
        message_service.flag_tax_relevant(m, True, actor="matrix")
    foreign_token, _ = tokens.create(factories.user("admin@bravo.example", "partner_admin", partner=pb), "other")
    world = World(
        actors=actors, customers=Targets(a1, a2, b1), partners=Targets(pa, pa, pb), users=users, auditors=auditors,
        jobs=Targets(_job(a1), _job(a2), _job(b1)),
        sources=Targets(_source(a1, "own@alpha-own.example"), _source(a2, "box@alpha-sibling.example"),
                        _source(b1, "box@bravo.example")),
        messages=msgs,
        uploads=Targets(*(_upload(c, False) for c in (a1, a2, b1))),
        uploads_done=Targets(*(_upload(c, True) for c in (a1, a2, b1))),
        attachment_part=parts, foreign_token=foreign_token,
    )
    world.quarantine = Targets(*(_quarantined(c) for c in (a1, a2, b1)))
    for c in (a1, a2, b1):  # version 1 of each customer's procedure documentation
        procedure_doc.create(c, InstallationFacts("0", "local", "local TSA", "j.example", True, False), actor="matrix")
    for role, user in actors.items():
        world.secrets[role] = tokens.create(user, "matrix")[1]
    assert all(TOTPDevice.objects.filter(user=actors[r]).exists() for r in TWO_FACTOR)
    return world
