"""Restore from the dashboard's folder tree (Mailboxes and folders): the per-folder and per-mailbox
"Restore" actions lead to the same target form and job as the restore from search, and the job puts
exactly that folder's messages (or the whole mailbox) back into a real Dovecot, byte for byte. Only users
with archive.restore (and, for end users, the self-service switch on) see the actions."""

from __future__ import annotations

import html
import imaplib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import AuditorGrant
from kustos.archive.models import Folder, Mailbox
from kustos.archive.services import sources as source_service
from kustos.audit.models import AuditEvent
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.tenants.models import SelfService
from tests import factories
from tests.integration.archive_restore import helpers
from tests.integration.archive_restore.helpers import mail, sha
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
USER, PASSWORD, ADDRESS = "ferdi", "ferdi-pw-1", "ferdi@kunde.example"
BASE = datetime(2023, 8, 1, 8, 15, tzinfo=UTC)
LINK = re.compile(r'href="(/archive/restore/\?[^"]+)"[^>]*data-testid="(restore-folder|restore-mailbox)"')


def _imap(dovecot) -> imaplib.IMAP4:
    return helpers.imap(dovecot, USER, PASSWORD)


def _contents(dovecot, folder: str) -> list[bytes]:
    conn = _imap(dovecot)
    try:
        typ, _ = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return []
        _typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
        return [part[1] for part in data if isinstance(part, tuple)]
    finally:
        conn.logout()


def _wipe(dovecot, folder: str) -> None:
    helpers.wipe(lambda: _imap(dovecot), folder)


def _links(page: bytes) -> dict[tuple[str, str, str], str]:
    """(kind, mailbox, folder or "") -> href of every restore action on the folder tree."""
    out = {}
    for href, kind in LINK.findall(page.decode()):
        href = html.unescape(href)
        query = parse_qs(urlsplit(href).query)
        out[(kind, query["mailbox"][0], query.get("folder", [""])[0])] = href
    return out


def _start(c: Client, href: str) -> Job:
    """Open the target form the action leads to, submit it as it is (original mailbox and folder), run the job."""
    form = c.get(href)
    assert form.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.content.decode()))
    resp = c.post("/archive/restore/start/", {**{k: html.unescape(v) for k, v in fields.items()},
                                              "to_mailbox": "", "to_folder": ""})
    assert resp.status_code == 302, resp.content[:500]
    job_id = resp["Location"].rstrip("/").rsplit("/", 1)[1]
    execute(job_id)
    job = Job.objects.get(id=job_id)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert c.get(resp["Location"]).status_code == 200
    return job


@pytest.fixture
def archived(dovecot, archive_customer):
    """ferdi's mailbox: 3 in INBOX, 2 in Sent, 1 in Projekte/2023, archived over IMAP, then deleted on the server."""
    dovecot.add_user(USER, PASSWORD)
    raws = {"INBOX": [mail(i, "inbox", ADDRESS, BASE + timedelta(days=i)) for i in range(3)],
            "Sent": [mail(i, "sent", ADDRESS, BASE + timedelta(days=10 + i)) for i in range(2)],
            "Projekte.2023": [mail(0, "projekt", ADDRESS, BASE + timedelta(days=20))]}
    for folder, items in raws.items():
        for raw in items:
            dovecot.deliver(USER, folder, raw)
    source = source_service.add(archive_customer, "imap", {"host": "127.0.0.1", "port": dovecot.imap_port,
                                                          "security": "none", "username": USER,
                                                          "mailbox": ADDRESS}, PASSWORD)
    assert source_service.run(source)["imported"] == 6
    for folder in raws:
        _wipe(dovecot, folder)
        assert _contents(dovecot, folder) == []
    return archive_customer, raws


@pytest.mark.dovecot
def test_folder_action_restores_exactly_that_folder_then_the_mailbox_action_the_rest(dovecot, archived):
    customer, raws = archived
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    c = sign_in(Client(), admin)
    tree = c.get(f"/archive/customers/{customer.id}/folders/")
    assert tree.status_code == 200
    links = _links(tree.content)
    assert set(links) == {("restore-mailbox", ADDRESS, ""), ("restore-folder", ADDRESS, "INBOX"),
                          ("restore-folder", ADDRESS, "Sent"), ("restore-folder", ADDRESS, "Projekte/2023")}
    form = c.get(links[("restore-folder", ADDRESS, "Sent")])
    assert f"Every message of folder Sent in mailbox {ADDRESS}" in form.content.decode()

    job = _start(c, links[("restore-folder", ADDRESS, "Sent")])
    assert job.result == {"restored": 2, "skipped": 0, "failed": [], "skipped_reasons": []}
    assert sorted(sha(raw) for raw in _contents(dovecot, "Sent")) == sorted(sha(raw) for raw in raws["Sent"])
    assert _contents(dovecot, "INBOX") == [] and _contents(dovecot, "Projekte.2023") == []
    event = AuditEvent.objects.filter(action="archive.restore", customer_id=customer.id).latest("seq")
    assert event.actor == admin.email and event.detail["origin"] == "dashboard"
    assert (event.detail["mailbox"], event.detail["folder"]) == (ADDRESS, "Sent")

    job = _start(c, links[("restore-mailbox", ADDRESS, "")])
    assert job.result == {"restored": 4, "skipped": 2, "failed": [], "skipped_reasons": []}
    for folder, items in raws.items():
        assert sorted(sha(raw) for raw in _contents(dovecot, folder)) == sorted(sha(raw) for raw in items), folder


def test_only_users_who_may_restore_see_the_actions(archive_customer):
    customer = archive_customer
    for address in (ADDRESS, "other@kunde.example"):
        box = Mailbox.objects.create(customer=customer, address=address)
        Folder.objects.create(mailbox=box, path="INBOX")
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    ferdi = factories.user("ferdi-user@kunde.example", "end_user", customer=customer, mailboxes=[ADDRESS])
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    AuditorGrant.objects.create(user=auditor, customer=customer, expires_at=timezone.now() + timedelta(days=7))
    url = f"/archive/customers/{customer.id}/folders/"

    assert set(_links(sign_in(Client(), admin).get(url).content)) == {
        (kind, box, folder) for box in (ADDRESS, "other@kunde.example")
        for kind, folder in (("restore-mailbox", ""), ("restore-folder", "INBOX"))}
    page = sign_in(Client(), ferdi).get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 200 and set(_links(page.content)) == {
        ("restore-mailbox", ADDRESS, ""), ("restore-folder", ADDRESS, "INBOX")}
    assert "Postfach wiederherstellen" in page.content.decode() and "other@kunde.example" not in page.content.decode()
    assert sign_in(Client(), auditor).get(url).status_code == 200
    assert _links(sign_in(Client(), auditor).get(url).content) == {}
    SelfService.objects.update_or_create(customer=customer, defaults={"restore": False})
    assert _links(sign_in(Client(), ferdi).get(url).content) == {}
    # the form itself refuses what the page does not offer
    assert sign_in(Client(), ferdi).get(
        f"/archive/restore/?customer={customer.id}&scope=mailbox&mailbox={ADDRESS}").status_code == 403
