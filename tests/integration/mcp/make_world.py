"""Builds the test archive of the MCP tests in a fresh KUSTOS_HOME (run as a subprocess with the
environment of ``cli_env``) and prints, as JSON, the message ids and the users' API tokens."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kustos.django_settings")
django.setup()

from django.utils import timezone  # noqa: E402

from kustos.accounts.services import tokens, users  # noqa: E402
from kustos.archive.models import Message  # noqa: E402
from kustos.archive.pipeline.contract import Incoming  # noqa: E402
from kustos.archive.services.ingest import Ingestor  # noqa: E402
from kustos.cli import startup  # noqa: E402
from tests import factories  # noqa: E402

ALICE, BOB, OTHER = "alice@kunde.example", "bob@kunde.example", "eve@fremd.example"
#: (mailbox, subject, date, attachment text or None)
LAYOUT = [
    (ALICE, "Rechnung Januar", datetime(2024, 1, 10, 9, 30), "Rechnungsbetrag 1234,56 EUR zahlbar bis Februar"),
    (ALICE, "Quarterly report", datetime(2024, 9, 2, 8, 0), None),
    (BOB, "Bobs Gehaltsabrechnung", datetime(2024, 2, 5, 12, 0), None),
]


def mail(i: int, owner: str, subject: str, when: datetime, attachment: str | None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Lieferant {i} <lieferant{i}@supplier.example>"
    msg["To"] = owner
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when.replace(tzinfo=timezone.get_current_timezone()))
    msg["Message-ID"] = f"<mcp{i}@supplier.example>"
    msg.set_content(f"Hallo, Nachricht {i} zum Thema {subject}. Gruesse aus Koeln.\n")
    if attachment:
        msg.add_attachment(attachment, subtype="plain", filename=f"beleg-{i}.txt")
    return msg.as_bytes()


def ingest(customer, layout) -> None:
    items = [Incoming(raw=mail(i, box, subject, when, att), mailbox=box, folders=["INBOX"], source="test")
             for i, (box, subject, when, att) in layout]
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        assert ing.ingest(items).imported == len(items)


def main() -> None:
    startup.migrate_if_needed()
    startup.prepare_jobs(immediate=True)
    partner = factories.partner("MCP Partner")
    customer = factories.customer(partner, "MCP Kunde")
    other = factories.customer(partner, "Fremde GmbH")
    ingest(customer, list(enumerate(LAYOUT)))
    ingest(other, [(9, (OTHER, "Fremde Nachricht", datetime(2024, 3, 1, 10, 0), None))])
    people = {
        "alice": factories.user(ALICE, "end_user", customer=customer),
        "admin": factories.user("it@kunde.example", "customer_admin", customer=customer),
        "auditor": factories.user("pruefer@finanzamt.example", "auditor"),
    }
    users.grant(people["auditor"], customer, expires_at=timezone.now() + timedelta(days=5),
                date_from=date(2024, 1, 1), date_to=date(2024, 6, 30), tax_relevant_only=False, mailboxes=[ALICE])
    out = {
        "customer": customer.id, "other": other.id,
        "ids": {m.subject: m.id for m in Message.objects.all()},
        "tokens": {name: tokens.create(u, "mcp")[1] for name, u in people.items()},
    }
    revoked, out["tokens"]["revoked"] = tokens.create(people["alice"], "revoked")
    tokens.revoke(revoked)
    print("WORLD " + json.dumps(out))


if __name__ == "__main__":
    main()
