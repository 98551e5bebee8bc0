"""Who may restore what into which mailbox, through the API and the dashboard: end users only their own
mail into their own mailbox and only while the customer's self-service switch allows it; auditors never;
a message restricted by a GDPR request is skipped with its reason, a legal hold does not block; every
restore is in the audit log with its origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kustos.accounts.models import AuditorGrant
from kustos.archive.models import Message, Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.lifecycle.services import holds
from kustos.sources.kinds import registry
from kustos.tenants.models import SelfService
from tests import factories
from tests.integration.archive_restore import toy_mailbox
from tests.integration.archive_restore.helpers import mail, restore, sha
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
ALICE, BOB = "alice@kunde.example", "bob@kunde.example"
BASE = datetime(2024, 2, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def world(archive_customer):
    registry.register(toy_mailbox.KIND)
    toy_mailbox.STORE.clear()
    Source.objects.create(customer=archive_customer, kind="toymailbox", name="toy", config={})
    items = [Incoming(raw=mail(i, "alice", ALICE, BASE + timedelta(days=i)), mailbox=ALICE, folders=["INBOX"],
                      source="test") for i in range(2)]
    items += [Incoming(raw=mail(i, "bob", BOB, BASE + timedelta(days=i)), mailbox=BOB, folders=["Projekte/2024"],
                       source="test") for i in range(2)]
    with Ingestor(archive_customer, workers=1, batch_size=10).session() as ing:
        assert ing.ingest(items).imported == 4
    yield archive_customer, {i.raw: Message.objects.get(customer=archive_customer, sha256=sha(i.raw)) for i in items}
    registry.unregister("toymailbox")
    toy_mailbox.STORE.clear()


def client(user) -> Client:
    return sign_in(Client(), user)


def api_restore(c: Client, customer, body: dict):
    return c.post(f"/api/v1/customers/{customer.id}/archive/restore", body, content_type="application/json")


def finished(job_id: str) -> Job:
    execute(job_id)
    return Job.objects.get(id=job_id)


def test_end_user_restores_own_mail_via_api_and_follows_the_job(world):
    customer, msgs = world
    alice = factories.user("alice-user@kunde.example", "end_user", customer=customer, mailboxes=[ALICE])
    own = [m for m in msgs.values() if m.refs.filter(mailbox__address=ALICE).exists()][0]
    c = client(alice)
    resp = api_restore(c, customer, {"message_ids": [own.id], "to_mailbox": ALICE})
    assert resp.status_code == 202, resp.content
    job = finished(resp.json()["id"])
    assert job.result == {"restored": 1, "skipped": 0, "failed": [], "skipped_reasons": []}
    stored = toy_mailbox.STORE[(ALICE, "INBOX")]
    assert [s[1] for s in stored] == [own.sha256] and sha(stored[0][2]) == own.sha256
    assert stored[0][3] == own.date and stored[0][4] == ("\\Seen",)
    status = c.get(f"/api/v1/customers/{customer.id}/archive/restore/{job.id}")
    assert status.status_code == 200 and status.json()["result"]["restored"] == 1
    event = AuditEvent.objects.filter(action="archive.restore").latest("seq")
    assert event.actor == alice.email and event.detail["origin"] == "api"
    assert event.detail["message_ids"] == [own.id] and event.detail["to_mailbox"] == ALICE
    # another end user cannot follow alice's job
    bob = factories.user("bob-user@kunde.example", "end_user", customer=customer, mailboxes=[BOB])
    assert client(bob).get(f"/api/v1/customers/{customer.id}/archive/restore/{job.id}").status_code == 404


def test_end_user_cannot_restore_other_mail_or_into_other_mailbox(world):
    customer, msgs = world
    alice = factories.user("alice-user@kunde.example", "end_user", customer=customer, mailboxes=[ALICE])
    bobs = [m for m in msgs.values() if m.refs.filter(mailbox__address=BOB).exists()]
    alices = [m for m in msgs.values() if m.refs.filter(mailbox__address=ALICE).exists()]
    c = client(alice)
    assert api_restore(c, customer, {"message_ids": [bobs[0].id]}).status_code == 404
    assert api_restore(c, customer, {"message_ids": [alices[0].id], "to_mailbox": BOB}).status_code == 403
    assert api_restore(c, customer, {"mailbox": BOB}).status_code == 404
    # a query restores only what alice may see
    resp = api_restore(c, customer, {"query": "*"})
    assert resp.status_code == 202
    job = finished(resp.json()["id"])
    assert job.result["restored"] == 2 and list(toy_mailbox.STORE) == [(ALICE, "INBOX")]
    assert Job.objects.filter(kind="archive.restore").count() == 1  # the refused ones queued nothing


def test_switch_off_and_auditors_refused(world):
    customer, msgs = world
    alice = factories.user("alice-user@kunde.example", "end_user", customer=customer, mailboxes=[ALICE])
    own = [m for m in msgs.values() if m.refs.filter(mailbox__address=ALICE).exists()][0]
    SelfService.objects.update_or_create(customer=customer, defaults={"restore": False})
    resp = api_restore(client(alice), customer, {"message_ids": [own.id]})
    assert resp.status_code == 403 and "restore" in resp.json()["detail"]
    assert client(alice).get(f"/archive/restore/?customer={customer.id}&ids={own.id}").status_code == 403
    page = client(alice).get(f"/archive/messages/{own.id}/")
    assert page.status_code == 200 and b'data-testid="restore-message"' not in page.content
    auditor = factories.user("pruefer@finanzamt.example", "auditor")
    AuditorGrant.objects.create(user=auditor, customer=customer, expires_at=timezone.now() + timedelta(days=7))
    resp = api_restore(client(auditor), customer, {"message_ids": [own.id]})
    assert resp.status_code == 403 and "archive.restore" in resp.json()["detail"]
    assert not toy_mailbox.STORE


def test_restricted_message_skipped_with_reason_and_hold_does_not_block(world):
    customer, msgs = world
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    ids = [m.id for m in msgs.values()]
    hold = holds.create(customer, "Verfahren 1", "subject:bob", actor=admin)  # bob's two mails are held
    assert set(holds.holds_on(customer, ids)) == {m.id for m in msgs.values() if "bob" in m.subject}
    assert hold.id
    Message.objects.filter(id=ids[0]).update(restricted=True)
    report = restore(customer, admin, message_ids=ids, to_folder="Restored")
    assert report["restored"] == 3 and report["skipped"] == 1 and report["failed"] == []
    assert report["skipped_reasons"][0]["id"] == ids[0] and "GDPR" in report["skipped_reasons"][0]["reason"]
    restored = {s[1] for box in toy_mailbox.STORE.values() for s in box}
    assert msgs_sha(msgs, ids[1:]) == restored
    assert {folder for _box, folder in toy_mailbox.STORE} == {"Restored"}


def msgs_sha(msgs, ids) -> set[str]:
    return {m.sha256 for m in msgs.values() if m.id in ids}


def test_dashboard_restore_from_message_page_to_job_page_in_german(world):
    customer, msgs = world
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    target = [m for m in msgs.values() if m.refs.filter(mailbox__address=BOB).exists()][0]
    c = client(admin)
    page = c.get(f"/archive/messages/{target.id}/")
    assert b'data-testid="restore-message"' in page.content
    form = c.get(f"/archive/restore/?customer={customer.id}&ids={target.id}")
    assert form.status_code == 200 and b"1 selected message" in form.content
    assert b'href="/help/restore-to-mailbox/"' in form.content
    resp = c.post("/archive/restore/start/", {"customer": customer.id, "ids": [target.id], "query": "",
                                               "mailbox": "", "to_mailbox": "", "to_folder": "Wiederhergestellt"})
    assert resp.status_code == 302 and "/restore/" in resp["Location"]
    job_id = resp["Location"].rstrip("/").rsplit("/", 1)[1]
    finished(job_id)
    done = c.get(resp["Location"], HTTP_ACCEPT_LANGUAGE="de")
    assert done.status_code == 200 and b'data-testid="restore-report"' in done.content
    assert toy_mailbox.STORE[(BOB, "Wiederhergestellt")][0][1] == target.sha256
    c.post("/account/language/", {"language": "de"})
    german = c.get(resp["Location"])
    assert "1 wiederhergestellt, 0 übersprungen" in german.content.decode()
    assert "In Postfach wiederherstellen" in german.content.decode()
    event = AuditEvent.objects.filter(action="archive.restore").latest("seq")
    assert event.detail["origin"] == "dashboard" and event.detail["message_ids"] == [target.id]


def test_failed_messages_are_listed_on_the_job_pages(world):
    customer, msgs = world
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    one = next(iter(msgs.values()))
    c = client(admin)
    resp = c.post("/archive/restore/start/", {"customer": customer.id, "ids": [one.id], "query": "", "mailbox": "",
                                               "to_mailbox": "", "to_folder": "Refused"})
    job = finished(resp["Location"].rstrip("/").rsplit("/", 1)[1])
    assert job.result["restored"] == 0 and job.result["failed"][0]["id"] == one.id
    assert "refused folder Refused" in job.result["failed"][0]["error"]
    for page in (resp["Location"], f"/jobs/{job.id}/"):
        body = c.get(page).content.decode()
        assert f"{one.id}: PermissionError: the server refused folder Refused" in body, page


def test_dashboard_restore_of_a_search_result(world):
    customer, _msgs = world
    admin = factories.user("admin@kunde.example", "customer_admin", customer=customer)
    c = client(admin)
    results = c.get(f"/archive/search/?customer={customer.id}&q=bob")
    assert b'data-testid="restore-all"' in results.content
    form = c.post("/archive/restore/", {"customer": customer.id, "q": "bob", "scope": "all"})
    assert form.status_code == 200 and b"Every message of the search result" in form.content
    resp = c.post("/archive/restore/start/", {"customer": customer.id, "query": "(bob)", "mailbox": "",
                                               "to_mailbox": "", "to_folder": ""})
    assert resp.status_code == 302
    job = finished(resp["Location"].rstrip("/").rsplit("/", 1)[1])
    assert job.result["restored"] == 2 and set(toy_mailbox.STORE) == {(BOB, "Projekte/2024")}
    bad = c.post("/archive/restore/start/", {"customer": customer.id, "query": "", "mailbox": "",
                                              "to_mailbox": "", "to_folder": ""})
    assert bad.status_code == 400 and b"name what to restore" in bad.content
