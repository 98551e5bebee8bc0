"""Billing set-up (issue 13 parts 1-3): daily usage samples across months (a day keeps its
maximum, Berlin days), activations derived from the first use, ended by switching the service off
or deleting the customer (the row outlives the customer), 14-day trials once per customer and
service that end or continue paid, the operator's price list with validity dates; CLI, API and
dashboard."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from huey.contrib.djhuey import HUEY

from kustos.accounts.services import tokens
from kustos.archive.models import Message, Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.backup.models import BackupAccount, BackupPlan
from kustos.billing import jobs as billing_jobs
from kustos.billing.models import ServiceActivation, UsageSample
from kustos.billing.services import activations, prices, trials, usage
from kustos.cli import registry, server  # noqa: F401  (server registers the periodic tasks)
from kustos.core import runtime
from kustos.tenants.models import Customer, DeletionRecord, StorageLocation
from kustos.tenants.services import customers
from kustos.vault import index as vault_index
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture
def home(tmp_path, settings):
    settings.KUSTOS = type(settings.KUSTOS)(**{**settings.KUSTOS.__dict__, "home": tmp_path / "home"})
    (tmp_path / "home").mkdir()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    runtime.reset()
    yield tmp_path / "home"
    runtime.reset()


def _mail(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "lieferant@example.org"
    msg["To"] = "buchhaltung@kunde.example"
    msg["Subject"] = f"Rechnung {i}"
    msg["Date"] = "Mon, 05 Jan 2026 12:00:00 +0100"
    msg["Message-ID"] = f"<billing{i}@example.org>"
    msg.set_content(f"Rechnung Nummer {i}\n" + "Positionen " * 200)
    return msg.as_bytes()


def _archive(customer: Customer, n: int, archived: datetime) -> None:
    with Ingestor(customer, workers=1).session() as ingestor:
        ingestor.ingest([Incoming(raw=_mail(i), mailbox="buchhaltung@kunde.example", folders=["INBOX"],
                                  source="import", source_ref=f"/in/{i}.eml") for i in range(n)])
    Message.objects.filter(customer=customer).update(archived_at=archived)


def _backup(customer: Customer, activated: datetime, kinds: list[str]) -> BackupPlan:
    customers.update(customer, {"backup_enabled": True}, actor="test")
    source = Source.objects.create(customer=customer, kind="m365", name=f"M365 {customer.name}", config={},
                                   services=["backup"])
    plan = BackupPlan.objects.create(customer=customer, source=source, activated_at=activated)
    for i, kind in enumerate(kinds):
        BackupAccount.objects.create(plan=plan, scope_id=f"{kind}-{i}", name=f"{kind} {i}", kind=kind,
                                     first_seen_at=activated)
    return plan


def _cli(capsys, *argv: str) -> tuple[int, object, str]:
    code = registry.run([*argv, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def test_usage_sampling_across_months_keeps_the_day_maximum(home, capsys):
    customer = factories.customer(factories.partner("Systemhaus Nord"), "Kanzlei Nord")
    _archive(customer, 3, at("2026-01-20T09:00"))
    plan = _backup(customer, at("2026-01-25T08:00"), ["user", "user", "shared_mailbox", "site", "org", "user"])
    BackupAccount.objects.filter(plan=plan, scope_id="user-5").update(departed_at=at("2026-01-26T08:00"))
    paused = _backup(factories.customer(customer.partner, "Paused GmbH"), at("2026-01-25T08:00"), ["user"])
    BackupPlan.objects.filter(id=paused.id).update(paused=True)
    store = runtime.store_for(customer.id)
    archive_bytes = store.usage()["archive_stored_bytes"]
    assert archive_bytes > 0
    store.put(os.urandom(200_000), "file", pool=vault_index.BACKUP)  # backup data is not archive volume
    store.commit()
    assert store.usage()["backup_stored_bytes"] > 200_000 and store.usage()["archive_stored_bytes"] == archive_bytes

    code, out, _ = _cli(capsys, "usage", "sample", "--as-of", "2026-01-31T23:30")
    assert code == 0 and out == {"customers": 2, "samples": 4, "as_of": "2026-01-31T23:30:00+01:00"}
    # later that day an account departs: the day keeps its maximum, taken_at moves on
    BackupAccount.objects.filter(plan=plan, scope_id="user-0").update(departed_at=at("2026-01-31T23:40"))
    assert usage.sample(at("2026-01-31T23:50"))["samples"] == 4
    usage.sample(at("2026-02-01T00:10"))  # the next Berlin day
    usage.sample(datetime.fromisoformat("2026-02-28T23:30:00+00:00"))  # 1 March in Berlin

    code, rows, _ = _cli(capsys, "usage", "show", "--customer", "Kanzlei Nord", "--service", "backup",
                         "--month", "2026-01")
    assert code == 0 and [(r["day"], r["accounts"]) for r in rows] == [("2026-01-31", 5)]
    assert rows[0]["detail"] == {"org": 1, "shared_mailbox": 1, "site": 1, "user": 2}
    assert rows[0]["taken_at"].startswith("2026-01-31T22:50")  # UTC of 23:50 Berlin
    code, rows, _ = _cli(capsys, "usage", "show", "--customer", customer.id, "--month", "2026-02")
    assert [(r["service"], r["day"], r["accounts"]) for r in rows] == [
        ("archive", "2026-02-01", 0), ("backup", "2026-02-01", 4)]
    assert rows[0]["stored_bytes"] == archive_bytes
    assert UsageSample.objects.filter(customer_id=customer.id, day=date(2026, 3, 1)).count() == 2
    # a paused plan protects nothing
    other = Customer.objects.get(name="Paused GmbH")
    assert set(UsageSample.objects.filter(customer_id=other.id, service="backup").values_list("accounts", flat=True)) == {0}

    code, _, err = _cli(capsys, "usage", "show", "--customer", customer.id, "--month", "2026-13")
    assert code == 1 and err.strip() == "kustos: error: month '2026-13' is not a month (YYYY-MM)"
    code, _, err = _cli(capsys, "usage", "sample", "--as-of", "yesterday")
    assert code == 1 and "is not an ISO date" in err and len(err.strip().splitlines()) == 1


def test_activations_follow_first_use_switch_off_and_deletion(home, django_capture_on_commit_callbacks):
    partner = factories.partner("Systemhaus Süd")
    archive_customer = factories.customer(partner, "Praxis Süd")
    backup_customer = factories.customer(partner, "Handel Süd")
    usage.sample(at("2026-01-05T12:00"))
    assert not ServiceActivation.objects.exists()  # no use yet, no billing

    _archive(archive_customer, 2, at("2026-01-20T09:00"))
    end_user = factories.user("anna@praxis.example", "end_user", customer=archive_customer)
    type(end_user).objects.filter(id=end_user.id).update(created_at=at("2026-01-10T08:00"))
    _backup(backup_customer, at("2026-02-03T10:00"), ["user", "user"])  # a backup source is no archive use

    usage.sample(at("2026-01-31T12:00"))
    rows = {(r.customer_id, r.service): r for r in ServiceActivation.objects.all()}
    assert set(rows) == {(archive_customer.id, "archive")}  # the backup plan starts in February
    assert rows[(archive_customer.id, "archive")].activated_at == at("2026-01-10T08:00")  # first end user

    usage.sample(at("2026-02-10T12:00"))
    usage.sample(at("2026-02-11T12:00"))  # idempotent
    rows = {(r.customer_id, r.service): r for r in ServiceActivation.objects.all()}
    assert set(rows) == {(archive_customer.id, "archive"), (backup_customer.id, "backup")}
    assert rows[(backup_customer.id, "backup")].activated_at == at("2026-02-03T10:00")
    assert rows[(backup_customer.id, "backup")].legal_name == "" and rows[(backup_customer.id, "backup")].partner == partner

    with pytest.raises(ValidationError, match=r"already uses backup paid since 2026-02-03; a trial is only possible"):
        trials.start(backup_customer, "backup", "end", actor="test")  # no trial once billing runs

    # switching a service off that holds no data (no snapshot yet) ends its activation
    customers.update(backup_customer, {"backup_enabled": False}, actor="test")
    activations.sync_activations(at("2026-03-10T12:00"))
    row = ServiceActivation.objects.get(customer_id=backup_customer.id, service="backup")
    assert (row.ended_at, row.end_reason) == (at("2026-03-10T12:00"), "service switched off")
    customers.update(backup_customer, {"backup_enabled": True}, actor="test")  # on again: billed from now
    activations.sync_activations(at("2026-04-02T12:00"))
    assert [(r.activated_at, r.ended_at) for r in ServiceActivation.objects.filter(
        customer_id=backup_customer.id).order_by("created_at")] == [
        (at("2026-02-03T10:00"), at("2026-03-10T12:00")), (at("2026-04-02T12:00"), None)]

    # switching the archive off while archived mail is still stored ends nothing: stored data is
    # billed until the customer is deleted (cancelling = deleting the customer with its archives)
    customers.update(archive_customer, {"archiving_enabled": False}, actor="test")
    activations.sync_activations(at("2026-04-03T12:00"))
    assert ServiceActivation.objects.get(customer_id=archive_customer.id, service="archive").ended_at is None

    # cancelling = deleting the customer: the activation ends at the deletion, the row stays
    with django_capture_on_commit_callbacks(execute=True):
        customers.request_deletion(archive_customer, confirmation=archive_customer.name, actor="test")
    assert not Customer.objects.filter(id=archive_customer.id).exists()
    record = DeletionRecord.objects.get(customer_id=archive_customer.id)
    usage.sample()
    row = ServiceActivation.objects.get(customer_id=archive_customer.id, service="archive")
    assert (row.ended_at, row.end_reason) == (record.deleted_at, "customer deleted")
    assert row.customer_name == "Praxis Süd" and row.activated_at == at("2026-01-10T08:00")
    assert ServiceActivation.objects.filter(customer_id=archive_customer.id).count() == 1
    assert UsageSample.objects.filter(customer_id=archive_customer.id).count() == 8  # history kept (4 days)


def test_trial_once_per_service_then_ends_or_continues_paid(home, capsys, mailoutbox):
    partner = factories.partner("Systemhaus West")
    factories.user("admin@systemhaus-west.example", "partner_admin", partner=partner)
    customer = factories.customer(partner, "Steuerbüro West")
    start = at("2026-03-02T10:00")
    trial = trials.start(customer, "archive", "end", actor="test", now=start)
    _archive(customer, 1, at("2026-03-03T09:00"))  # used during the trial: still nothing charged
    usage.sample(at("2026-03-05T12:00"))
    assert list(ServiceActivation.objects.filter(customer_id=customer.id).values_list("id", flat=True)) == [trial.id]

    code, _, err = _cli(capsys, "trial", "start", "--customer", customer.name, "--service", "archive")
    assert code == 1
    assert err.strip() == (f"kustos: error: customer Steuerbüro West ({customer.id}) already had its archive trial "
                           "(2026-03-02 to 2026-03-16); a trial can be used once per customer and service")
    backup_trial = trials.start(customer, "backup", "paid", actor="test", now=start)
    customer.refresh_from_db()
    assert customer.backup_enabled  # starting a trial switches the service on

    assert trials.expire(at("2026-03-13T12:00")) == {"converted": 0, "ended": 0, "warned": 2}
    assert trials.expire(at("2026-03-14T12:00"))["warned"] == 0  # told once
    assert sorted(m.subject for m in mailoutbox) == [  # the notification's "trial ending" event, by default mail
        "[Kustos] the archive trial of Steuerbüro West ends 2026-03-16",
        "[Kustos] the backup trial of Steuerbüro West ends 2026-03-16"]
    assert mailoutbox[0].to == ["admin@systemhaus-west.example"]

    assert trials.expire(at("2026-03-16T12:00")) == {"converted": 1, "ended": 1, "warned": 0}
    trial.refresh_from_db()
    backup_trial.refresh_from_db()
    customer.refresh_from_db()
    assert (trial.ended_at, trial.end_reason, trial.activated_at) == (start + timedelta(days=14), "trial ended", None)
    assert not customer.archiving_enabled
    assert backup_trial.activated_at == start + timedelta(days=14) and backup_trial.ended_at is None
    usage.sample(at("2026-03-20T12:00"))  # no paid archive activation after a trial that ended
    assert ServiceActivation.objects.filter(customer_id=customer.id).count() == 2

    code, rows, _ = _cli(capsys, "trial", "list", "--partner", partner.name)
    assert code == 0 and sorted((r["service"], r["state"], r["trial_then"]) for r in rows) == [
        ("archive", "ended", "end"), ("backup", "active", "paid")]
    code, _, err = _cli(capsys, "trial", "start", "--customer", customer.id, "--service", "backup")
    assert code == 1 and "already had its backup trial" in err


def test_price_list_with_validity(home, capsys):
    code, row, _ = _cli(capsys, "price", "set", "--service", "archive", "--unit", "GB", "--price", "0.25",
                        "--from", "2026-01-01")
    assert code == 0 and row["price"] == "0.25" and row["valid_from"] == "2026-01-01"
    assert _cli(capsys, "price", "set", "--service", "archive", "--unit", "GB", "--price", "0,30",
                "--from", "2026-07-01")[0] == 0
    assert _cli(capsys, "price", "set", "--service", "backup", "--unit", "account", "--price", "1.9")[0] == 0
    assert prices.price_for("archive", "GB", date(2025, 12, 31)) is None
    assert prices.price_for("archive", "GB", date(2026, 6, 30)) == Decimal("0.25")
    assert prices.price_for("archive", "GB", date(2026, 7, 1)) == Decimal("0.30")
    assert prices.price_for("backup", "account", prices.today()) == Decimal("1.9")
    for argv, message in [
        (("--service", "archive", "--unit", "account", "--price", "1"), "unit 'account' does not fit archive: use GB"),
        (("--service", "backup", "--unit", "account", "--price", "0"), "price '0' must be greater than 0 EUR"),
        (("--service", "backup", "--unit", "account", "--price", "abc"), "price 'abc' is not a number (EUR, e.g. 0.25)"),
        (("--service", "backup", "--unit", "account", "--price", "2", "--from", "1.7.2026"),
         "date '1.7.2026' is not a date (YYYY-MM-DD)"),
    ]:
        code, _, err = _cli(capsys, "price", "set", *argv)
        assert (code, err.strip()) == (1, f"kustos: error: {message}")
    code, rows, _ = _cli(capsys, "price", "list")
    assert [(r["service"], r["price"], r["valid_from"]) for r in rows][:2] == [
        ("archive", "0.3000", "2026-07-01"), ("archive", "0.2500", "2026-01-01")]
    assert len(rows) == 3


def _bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(user, 'test')[1]}"}


def test_api_and_dashboard(home):
    partner = factories.partner("Systemhaus Ost")
    other = factories.partner("Fremdes Systemhaus")
    operator = factories.user("op@kustos.example", "operator", totp=True)
    admin = factories.user("admin@ost.example", "partner_admin", partner=partner, totp=True)
    tech = factories.user("tech@ost.example", "partner_tech", partner=partner, totp=True)
    customer = factories.customer(partner, "Kanzlei Ost")
    foreign = factories.customer(other, "Fremdkunde")
    api = Client()

    # prices: the operator writes, partner staff read
    resp = api.post("/api/v1/prices", {"service": "archive", "unit": "GB", "price": "0.25", "valid_from": "2026-01-01"},
                    content_type="application/json", **_bearer(operator))
    assert resp.status_code == 201 and resp.json()["price"] == "0.25"
    resp = api.post("/api/v1/prices", {"service": "backup", "unit": "GB", "price": "1"},
                    content_type="application/json", **_bearer(operator))
    assert resp.status_code == 422 and "unit 'GB' does not fit backup" in resp.content.decode()
    assert api.post("/api/v1/prices", {"service": "archive", "unit": "GB", "price": "9"},
                    content_type="application/json", **_bearer(admin)).status_code == 403
    resp = api.get("/api/v1/prices", **_bearer(tech))
    assert resp.status_code == 200 and [r["price"] for r in resp.json()] == ["0.2500"]

    # trials: the partner admin for own customers
    resp = api.post(f"/api/v1/customers/{customer.id}/trials", {"service": "backup", "then": "end"},
                    content_type="application/json", **_bearer(admin))
    assert resp.status_code == 201 and resp.json()["state"] == "trial" and resp.json()["trial_then"] == "end"
    resp = api.post(f"/api/v1/customers/{customer.id}/trials", {"service": "backup"},
                    content_type="application/json", **_bearer(admin))
    assert resp.status_code == 422 and "already had its backup trial" in resp.content.decode()
    assert api.post(f"/api/v1/customers/{foreign.id}/trials", {"service": "backup"},
                    content_type="application/json", **_bearer(admin)).status_code == 404
    assert api.post(f"/api/v1/customers/{customer.id}/trials", {"service": "archive"},
                    content_type="application/json", **_bearer(tech)).status_code == 403
    resp = api.get(f"/api/v1/customers/{customer.id}/activations", **_bearer(tech))
    assert resp.status_code == 200 and [(r["service"], r["state"]) for r in resp.json()] == [("backup", "trial")]
    usage.sample(at("2026-04-01T12:00"))
    resp = api.get(f"/api/v1/customers/{customer.id}/usage?month=2026-04&service=archive", **_bearer(admin))
    assert resp.status_code == 200 and [r["day"] for r in resp.json()] == ["2026-04-01"]
    resp = api.get("/api/v1/trials", **_bearer(operator))
    assert resp.status_code == 200 and [r["customer_name"] for r in resp.json()] == ["Kanzlei Ost"]

    # dashboard: the operator's price list page, read-only for partners
    web_op = sign_in(Client(), operator)
    page = web_op.get("/prices/")
    assert page.status_code == 200 and b'data-testid="price-form"' in page.content
    resp = web_op.post("/prices/", {"service": "backup", "unit": "account", "price": "1.50", "valid_from": "2026-02-01"})
    assert resp.status_code == 302
    resp = web_op.post("/prices/", {"service": "backup", "unit": "account", "price": "-1", "valid_from": ""})
    assert resp.status_code == 422 and "must be greater than 0 EUR" in resp.content.decode()
    web_pa = sign_in(Client(), admin)
    page = web_pa.get("/prices/").content.decode()
    assert "1.5000" in page and "0.2500" in page and 'data-testid="price-form"' not in page
    assert web_pa.post("/prices/", {"service": "backup", "unit": "account", "price": "1"}).status_code == 403

    # the customer page: services and billing card, trial form for the unused archive trial
    page = web_pa.get(f"/customers/{customer.id}/").content.decode()
    assert "Services and billing" in page and 'data-testid="trial-form-archive"' in page
    assert 'data-testid="trial-form-backup"' not in page and "then ends" in page
    resp = web_pa.post(f"/customers/{customer.id}/trial/", {"service": "archive", "then": "paid"})
    assert resp.status_code == 302
    page = web_pa.get(f"/customers/{customer.id}/").content.decode()
    assert 'data-testid="trial-form-archive"' not in page and "then continues paid" in page
    assert ServiceActivation.objects.filter(customer_id=customer.id, trial_started_at__isnull=False).count() == 2
    # German
    web_pa.post("/account/language/", {"language": "de"})
    page = web_pa.get(f"/customers/{customer.id}/").content.decode()
    assert "Dienste und Abrechnung" in page


def test_an_unreadable_vault_does_not_stop_the_other_samples(home):
    partner = factories.partner("Systemhaus Mitte")
    broken = factories.customer(partner, "Defekt GmbH")
    fine = factories.customer(partner, "Gesund GmbH")
    _archive(fine, 1, at("2026-05-01T09:00"))
    location = StorageLocation.objects.create(id="unreachable", name="Unreachable", country="DE",
                                              vault_url="nosuch://nowhere")
    Customer.objects.filter(id=broken.id).update(location=location)
    runtime.reset()
    result = usage.sample(at("2026-05-02T12:00"))
    assert result == {"customers": 2, "samples": 3, "as_of": "2026-05-02T12:00:00+02:00", "failed": [broken.id]}
    assert UsageSample.objects.get(customer_id=fine.id, service="archive").stored_bytes > 0
    assert not UsageSample.objects.filter(customer_id=broken.id, service="archive").exists()
    assert UsageSample.objects.filter(customer_id=broken.id, service="backup").exists()


def test_the_daily_job_ends_trials_and_samples(home):
    names = {t.name for t in HUEY._registry.periodic_tasks}
    assert "billing_daily" in names  # registered by the server (cli/server.py)
    task = next(t for t in HUEY._registry.periodic_tasks if t.name == "billing_daily")
    assert task.validate_datetime(datetime(2027, 3, 1, 1, 41)) and not task.validate_datetime(datetime(2027, 3, 1, 2, 41))
    customer = factories.customer(factories.partner("Systemhaus Job"), "Job GmbH")
    trials.start(customer, "backup", "paid", actor="test", now=at("2026-06-01T10:00"))
    result = billing_jobs.daily(at("2026-06-20T12:00"))
    assert result["trials"]["converted"] == 1 and result["usage"]["samples"] == 2
    assert ServiceActivation.objects.get(customer_id=customer.id).activated_at == at("2026-06-15T10:00")
    assert UsageSample.objects.filter(customer_id=customer.id, day=date(2026, 6, 20)).count() == 2
