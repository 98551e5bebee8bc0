"""Requirement 2: archive time is recorded per message; an alert fires when ingest lags behind a
threshold (per batch of a live source) and when a journaling address or a scheduled source
delivers nothing during working days (Monday to Friday, Europe/Berlin). Alerts are mailed to the
customer's and partner's admins, shown as a dashboard banner, listed by `kustos alerts list`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.utils import timezone

from kustos.accounts.services import tokens
from kustos.archive.models import JournalEndpoint, Message, Source
from kustos.archive.services import alerts, alerts_ingest, journal, journal_drain, sources
from kustos.audit.models import AuditEvent
from kustos.cli import registry
from kustos.core import runtime
from kustos.sources.smtp import Envelope, Spool
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 0, tzinfo=BERLIN)


def _at(day: int, hour: int = 10) -> datetime:
    """A time in the week after FRIDAY_EVENING (30 = Monday 30 Nov 2026 ... 4 = Friday 4 Dec)."""
    month = 11 if day >= 27 else 12
    return datetime(2026, month, day, hour, 0, tzinfo=BERLIN)


@pytest.fixture
def world(tmp_path, settings):
    settings.KUSTOS = replace(settings.KUSTOS, home=tmp_path / "home", alert_ingest_lag_minutes=60,
                              alert_silent_working_days=2)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    (tmp_path / "home").mkdir()
    runtime.reset()
    customer = factories.customer(factories.partner("Zeit Partner"), "Zeit Kunde")
    admin = factories.user("it@zeit-kunde.example", "customer_admin", customer=customer)
    yield customer, admin, tmp_path
    runtime.reset()


def _mail(n: int, sent: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@zeit-kunde.example", "b@zeit-kunde.example", f"Nachricht {n}"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<zeit{n}@zeit-kunde.example>"
    msg.set_content(f"Inhalt {n}")
    return msg.as_bytes()


def _journal(tmp_path, customer, *mails: bytes) -> None:
    spool = Spool(tmp_path / "spool")
    for data in mails:
        spool.put(Envelope(mail_from="mta@zeit-kunde.example", rcpt_tos=[journal.address(customer)],
                           customer=customer.id, received_at=datetime.now(UTC).isoformat(), peer="192.0.2.1:25",
                           client_ip="192.0.2.1"), data)
    assert journal_drain.drain(spool) == len(mails)


def test_req02_archive_time_is_recorded_per_message(world):
    customer, _, tmp_path = world
    journal.configure(customer)
    before = timezone.now()
    _journal(tmp_path, customer, _mail(1, datetime.now(UTC)))
    msg = Message.objects.get(customer=customer)
    assert before <= msg.archived_at <= timezone.now()
    assert msg.date is not None and msg.archived_at >= msg.date


def test_req02_a_late_journal_batch_alerts_once_by_mail_banner_and_cli(world, capsys):
    customer, admin, tmp_path = world
    journal.configure(customer)
    now = datetime.now(UTC)
    _journal(tmp_path, customer, _mail(1, now - timedelta(minutes=5)), _mail(2, now - timedelta(minutes=10)))
    assert not AuditEvent.objects.filter(action=alerts_ingest.LAG_ACTION).exists() and django_mail.outbox == []

    # three messages held back for three days arrive in one batch (one quick one does not hide them)
    _journal(tmp_path, customer, *(_mail(10 + i, now - timedelta(days=3, minutes=i)) for i in range(3)),
             _mail(20, now))
    event = AuditEvent.objects.get(action=alerts_ingest.LAG_ACTION)
    local = JournalEndpoint.objects.get(customer=customer).local_part
    assert event.customer_id == customer.id and event.target == local
    assert event.detail["source"] == "smtp" and event.detail["messages"] == 4 and event.detail["late"] == 3
    assert 3 * 24 * 60 <= event.detail["median_lag_minutes"] < 3 * 24 * 60 + 60
    assert event.detail["threshold_minutes"] == 60
    assert [m.subject for m in django_mail.outbox] == ["[Kustos] mail of Zeit Kunde is archived late"]
    assert django_mail.outbox[0].to == [admin.email]

    page = sign_in(Client(), admin).get("/").content.decode()
    assert 'data-testid="ingest-alert"' in page and "Mail of Zeit Kunde was archived late: 4 messages" in page
    page = sign_in(Client(), admin).get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Mails von Zeit Kunde wurden verspätet archiviert: 4 Nachrichten" in page
    assert registry.run(["alerts", "list", "--customer", customer.id, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["endpoint"], r["messages"]) for r in rows] == [("ingest_lag", local, 4)]
    _, secret = tokens.create(admin, "alerts")
    resp = Client().get(f"/api/v1/customers/{customer.id}/alerts", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 200 and [(r["kind"], r["messages"]) for r in resp.json()] == [("ingest_lag", 4)]


def test_req02_backlogs_and_non_live_sources_are_not_measured(world):
    customer, _, _ = world
    journal.configure(customer)
    _journal(world[2], customer, _mail(1, datetime.now(UTC) - timedelta(days=30)))  # measured: alerts
    late = [m.id for m in Message.objects.filter(customer=customer)]
    assert AuditEvent.objects.filter(action=alerts_ingest.LAG_ACTION).count() == 1
    # the same late mail from an import, or from a source's first run (its backlog), alerts nothing
    assert alerts_ingest.batch_lag(customer, source="import", endpoint="x", message_ids=late) is None
    assert alerts_ingest.batch_lag(customer, source="imap", endpoint="sr_x", message_ids=late, backlog=True) is None
    measured = alerts_ingest.batch_lag(customer, source="imap", endpoint="sr_x", message_ids=late)
    assert measured is not None and measured["late"] == 1


def test_req02_silent_journaling_address_alerts_after_working_days_not_over_the_weekend(world, settings):
    customer, admin, tmp_path = world
    journal.configure(customer)
    JournalEndpoint.objects.filter(customer=customer).update(created_at=FRIDAY_EVENING)  # nothing since
    assert alerts_ingest.check_silent_journals(_at(30)) == 0  # Monday morning: the weekend is no incident
    assert alerts_ingest.check_silent_journals(_at(1)) == 0  # Tuesday: one working day (Monday)
    assert alerts_ingest.check_silent_journals(_at(2)) == 1  # Wednesday: Monday and Tuesday
    assert alerts_ingest.check_silent_journals(_at(3)) == 0  # once per incident
    event = AuditEvent.objects.get(action=alerts_ingest.SILENT_ACTION)
    assert event.detail["working_days"] == 2
    assert datetime.fromisoformat(event.detail["last_delivery"]) == FRIDAY_EVENING
    assert [m.subject for m in django_mail.outbox] == ["[Kustos] journaling address of Zeit Kunde receives no mail"]
    rows = alerts_ingest.open_alerts(type(customer).objects.filter(id=customer.id), _at(3))
    assert [(r["kind"], r["since"]) for r in rows] == [("journal_silent", FRIDAY_EVENING)]

    # configurable: with one working day, a second customer's address silent since Monday evening
    # alerts on Wednesday (Tuesday was silent), not on Tuesday
    other = factories.customer(factories.partner("Zweit Partner"), "Zweit Kunde")
    journal.configure(other)
    JournalEndpoint.objects.filter(customer=other).update(created_at=_at(30, 18))
    settings.KUSTOS = replace(settings.KUSTOS, alert_silent_working_days=1)
    runtime.reset()
    assert [e.customer_id for e, _ in alerts_ingest.silent_journals(now=_at(1))] == [customer.id]
    assert {e.customer_id for e, _ in alerts_ingest.silent_journals(now=_at(2))} == {customer.id, other.id}
    assert alerts_ingest.check_silent_journals(_at(2)) == 1  # the other one; the first is alerted already

    # a delivery ends the incident: nothing is silent any more
    _journal(tmp_path, customer, _mail(1, datetime.now(UTC)))
    assert customer.id not in {e.customer_id for e, _ in alerts_ingest.silent_journals(now=timezone.now() + timedelta(days=1))}


def test_req02_silent_sources_count_working_days(world):
    customer, _, _ = world
    source = sources.add(customer, "imap", {"host": "127.0.0.1", "port": 9, "username": "box@zeit-kunde.example",
                                            "security": "none"}, "not-a-real-password")
    Source.objects.filter(id=source.id).update(created_at=FRIDAY_EVENING - timedelta(days=30),
                                               last_success_at=_at(3), last_item_at=FRIDAY_EVENING)
    assert alerts.check_silent_sources(_at(30)) == 0  # Monday: weekend only
    assert alerts.check_silent_sources(_at(1)) == 0
    assert alerts.check_silent_sources(_at(2)) == 1
    assert alerts.check_silent_sources(_at(3)) == 0  # once per incident, even though runs keep succeeding
    assert AuditEvent.objects.filter(action="source.alert", target=source.id, detail__kind="silent").count() == 1


def test_req02_working_days_between():
    assert alerts.working_days_between(FRIDAY_EVENING, _at(30)) == 0
    assert alerts.working_days_between(FRIDAY_EVENING, _at(2)) == 2
    assert alerts.working_days_between(FRIDAY_EVENING, FRIDAY_EVENING + timedelta(days=28)) == 19
    assert alerts.working_days_between(_at(2), _at(2, 23)) == 0
