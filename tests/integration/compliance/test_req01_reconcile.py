"""Requirement 1 (completeness): `kustos reconcile`, the API and the "Completeness" page report gaps
in the ingest sequence, items at an IMAP source not archived yet (``--live``) and journaled mail
still in the spool."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from django.test import Client

from kustos.accounts.services import tokens
from kustos.archive.models import Message
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import journal, journal_drain
from kustos.archive.services import sources as source_service
from kustos.archive.services.ingest import Ingestor
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core import runtime
from kustos.sources.smtp import Spool
from kustos.sources.smtp.spool import Envelope
from tests import factories
from tests.integration.web.session import sign_in


def mail(i: int, tag: str = "rc") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"sender{i}@partner.example"
    msg["To"] = "anna@kunde.example"
    msg["Subject"] = f"{tag} message {i}"
    msg["Message-ID"] = f"<{tag}{i}@partner.example>"
    msg.set_content(f"{tag} body {i}")
    return msg.as_bytes().replace(b"\n", b"\r\n")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def customer(db, tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    runtime.reset()
    yield factories.customer(factories.partner("Vollständig Partner"), "Vollständig Kunde")
    runtime.reset()


def ingest(customer, count: int, tag: str = "rc") -> None:
    items = [Incoming(raw=mail(i, tag), mailbox="anna@kunde.example", folders=["INBOX"], source="import")
             for i in range(count)]
    with Ingestor(customer, workers=1, batch_size=20).session() as ing:
        assert ing.ingest(items).imported == count


def reconcile(capsys, customer, *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = registry.run(["reconcile", "--customer", customer.id, "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_req01_gap_free_archive_is_ok(customer, capsys):
    ingest(customer, 5)
    code, report = reconcile(capsys, customer)
    assert code == 0
    assert report["verdict"] == "ok"
    assert report["sequence"] == {"highest": 5, "present": 5, "missing": 0, "gaps": [], "verdict": "ok"}
    assert report["totals"]["gaps"] == 0 and report["totals"]["messages"] == 5
    capsys.readouterr()
    assert registry.run(["reconcile", "--customer", customer.id]) == 0
    assert "ok       ingest sequence 1..5: 5 messages, 0 missing" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="archive.reconcile", customer_id=customer.id).count() == 2


def test_req01_sequence_gap_is_reported_with_its_range_and_exit_1(customer, capsys):
    ingest(customer, 7)
    Message.objects.filter(customer=customer, seq__in=[3, 4]).delete()  # a lost message, simulated in the DB
    Message.objects.filter(customer=customer, seq=7).delete()  # and the newest one
    code, report = reconcile(capsys, customer)
    assert code == 1
    assert report["verdict"] == "gap"
    assert report["sequence"]["gaps"] == [{"first": 3, "last": 4}, {"first": 7, "last": 7}]
    assert report["sequence"]["missing"] == 3 and report["sequence"]["present"] == 4
    capsys.readouterr()
    assert registry.run(["reconcile", "--customer", customer.id]) == 1
    out = capsys.readouterr().out
    assert "gap      ingest sequence 1..7: 4 messages, 3 missing (3-4, 7)" in out
    assert "verdict: gap" in out


def test_req01_unknown_customer_is_a_one_line_error(customer, capsys):
    assert registry.run(["reconcile", "--customer", "cu_nothere", "--json"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("kustos: error:") and "cu_nothere" in err and "\n" not in err


@pytest.mark.dovecot
def test_req01_live_imap_count_reports_the_message_not_archived_yet(dovecot, customer, capsys):
    dovecot.add_user("rina", "rina-pw-1")
    for i in range(3):
        dovecot.deliver("rina", "INBOX", mail(i, "imap"))
    source = source_service.add(customer, "imap", {"host": "127.0.0.1", "port": dovecot.imaps_port,
                                                   "security": "tls", "username": "rina",
                                                   "mailbox": "rina@kunde.example", "tls_verify": False},
                                "rina-pw-1")
    assert source_service.run(source)["imported"] == 3
    dovecot.deliver("rina", "INBOX", mail(9, "late"))  # at the server, not archived yet

    code, stored = reconcile(capsys, customer)  # stored figures only: nothing to report
    assert code == 0 and stored["verdict"] == "ok"
    [line] = stored["sources"]
    assert [(s["scope"], s["delivered"], s["archived"], s["at_source"]) for s in line["scopes"]] == [
        ("INBOX", 3, 3, None)]

    code, live = reconcile(capsys, customer, "--live")
    assert code == 0  # not a gap: the next run fetches it
    [line] = live["sources"]
    assert line["live_error"] == "" and line["verdict"] == "pending"
    [inbox] = line["scopes"]
    assert (inbox["at_source"], inbox["not_archived"], inbox["archived"]) == (4, 1, 3)
    assert live["totals"]["not_archived_at_sources"] == 1 and live["verdict"] == "pending"

    source.refresh_from_db()
    assert source_service.run(source)["imported"] == 1
    code, after = reconcile(capsys, customer, "--live")
    assert code == 0 and after["verdict"] == "ok" and after["totals"]["not_archived_at_sources"] == 0


@pytest.mark.dovecot
def test_req01_live_pop3_count_reports_the_message_not_archived_yet(dovecot, customer, capsys):
    dovecot.add_user("paul", "paul-pw-1")
    for i in range(2):
        dovecot.deliver("paul", "INBOX", mail(i, "pop"))
    source = source_service.add(customer, "pop3", {"host": "127.0.0.1", "port": dovecot.pop3s_port,
                                                   "security": "tls", "username": "paul",
                                                   "mailbox": "paul@kunde.example", "tls_verify": False},
                                "paul-pw-1")
    assert source_service.run(source)["imported"] == 2
    dovecot.deliver("paul", "INBOX", mail(7, "pop-late"))
    code, live = reconcile(capsys, customer, "--live")
    assert code == 0
    [line] = live["sources"]
    [scope] = line["scopes"]
    assert line["live_error"] == ""
    assert (scope["delivered"], scope["archived"], scope["at_source"], scope["not_archived"], scope["verdict"]) == (
        2, 2, 3, 1, "pending")


def test_req01_a_cursor_ahead_of_the_archive_is_a_gap(customer, capsys):
    source = source_service.add(customer, "imap", {"host": "127.0.0.1", "port": 9, "security": "none",
                                                   "username": "x", "mailbox": "anna@kunde.example"}, "pw")
    source.cursors = {"INBOX": {"uidvalidity": 7, "last_uid": 3, "uids": "1:3", "modseq": None}}
    source.save(update_fields=["cursors"])  # three UIDs committed, nothing archived: a lost batch
    code, report = reconcile(capsys, customer)
    assert code == 1
    [line] = report["sources"]
    assert line["verdict"] == "gap"
    assert [(s["scope"], s["delivered"], s["archived"], s["verdict"]) for s in line["scopes"]] == [
        ("INBOX", 3, 0, "gap")]
    code, live = reconcile(capsys, customer, "--live")  # the server is unreachable: said so, still a gap
    assert code == 1 and "refused" in live["sources"][0]["live_error"]


def test_req01_journaled_mail_in_the_spool_is_pending(customer, capsys):
    journal.endpoint(customer)
    spool = Spool(runtime.settings().spool_path)

    def accept(i: int, customer_id: str = customer.id) -> None:
        spool.put(Envelope(mail_from="chef@kunde.example", rcpt_tos=[journal.address(customer)],
                           customer=customer_id, received_at="2026-01-05T10:00:00Z", peer="192.0.2.1"),
                  mail(i, "journal"))

    accept(1)
    accept(2, "cu_someoneelse")  # another customer's item is not counted here
    code, report = reconcile(capsys, customer)
    assert code == 0
    [line] = report["journal"]
    assert line["address"] == journal.address(customer)
    assert (line["accepted"], line["archived"], line["pending"], line["failed"], line["verdict"]) == (
        1, 0, 1, 0, "pending")
    assert report["verdict"] == "pending" and report["totals"]["spool_pending"] == 1

    for item in spool.claim():  # the other customer's item out of the way, ours back for the drain
        if item.envelope.customer == customer.id:
            spool.release(item)
        else:
            spool.fail(item, "not ours")
    assert journal_drain.drain(spool) == 1
    code, report = reconcile(capsys, customer)
    assert code == 0
    assert {k: report["journal"][0][k] for k in ("accepted", "drained", "archived", "pending", "verdict")} == {
        "accepted": 1, "drained": 1, "archived": 1, "pending": 0, "verdict": "ok"}

    accept(3)
    [item] = spool.claim()
    spool.fail(item, "unreadable")
    code, report = reconcile(capsys, customer)
    assert code == 1
    assert {k: report["journal"][0][k] for k in ("accepted", "archived", "failed", "verdict")} == {
        "accepted": 2, "archived": 1, "failed": 1, "verdict": "gap"}


def test_req01_api_and_dashboard_show_the_report(customer):
    ingest(customer, 4)
    Message.objects.filter(customer=customer, seq=2).delete()
    admin = factories.user("it@vollstaendig.example", "customer_admin", customer=customer)
    token = tokens.create(admin, "t")[1]
    resp = Client().get(f"/api/v1/customers/{customer.id}/reconcile", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200
    assert resp.json()["sequence"]["gaps"] == [{"first": 2, "last": 2}] and resp.json()["verdict"] == "gap"
    client = sign_in(Client(), admin)
    page = client.get(f"/customers/{customer.id}/reconcile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Completeness" in html and 'data-testid="reconcile-gap"' in html and "missing 2" in html
    assert f'href="/customers/{customer.id}/reconcile/"' in client.get(f"/customers/{customer.id}/").content.decode()
    german = client.get(f"/customers/{customer.id}/reconcile/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Vollständigkeit" in german.content.decode() and "Lücke" in german.content.decode()
    assert AuditEvent.objects.filter(action="archive.reconcile", customer_id=customer.id).count() == 3
