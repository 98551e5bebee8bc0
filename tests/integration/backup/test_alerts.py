"""Anomaly alerts of backups: baselines per account, a normal working day raises nothing, a simulated
ransomware run and a mass deletion raise alerts (service, mail, CLI, API, dashboard); acknowledging works."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client

from fakecloud.testing import running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.services import sources
from kustos.audit.models import AuditEvent
from kustos.backup.models import BackupAccount, BackupAlert, BackupPlan
from kustos.backup.services import plans, runs
from kustos.backupguard import Baseline
from kustos.cli import registry as cli
from kustos.core import runtime
from tests import factories
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

FILES = 80
TEXT = (b"Quarterly report of the sales team. Figures are preliminary and subject to review.\n" * 100)


def doc(i: int, version: int = 0) -> bytes:
    return TEXT + f"document {i} version {version}\n".encode()


@pytest.fixture
def office(source, cloud):
    """An account ``carla`` with FILES ordinary documents, backed up once (which seeds its baseline)."""
    cloud.put("carla", "fd", "folder", "", "Docs", b"")
    for i in range(FILES):
        cloud.put("carla", f"c{i}", "file", "Docs", f"file{i}.docx", doc(i))
    cloud.batch_size = 50
    plan = plans.enable(source, services=["files", "mail"], actor="test")
    runs.run(plan)
    return plan


def age_baselines(plan: BackupPlan, days: int = 1) -> None:
    """Let time pass: move every stored baseline day back by ``days`` (as if the runs were earlier days)."""
    for account in BackupAccount.objects.filter(plan=plan, baseline__isnull=False):
        data = account.baseline
        for d in data["days"]:
            d["day"] = (date.fromisoformat(d["day"]) - timedelta(days=days)).isoformat()
        account.baseline = data
        account.save(update_fields=["baseline"])


def working_day(cloud, n: int) -> None:
    """A normal day: a few documents edited, one added, one deleted, one renamed."""
    for k in range(3):
        i = (n * 3 + k) % (FILES - 10)
        cloud.put("carla", f"c{i}", "file", "Docs", f"file{i}.docx", doc(i, n + 1))
    cloud.put("carla", f"new{n}", "file", "Docs", f"minutes{n}.docx", doc(1000 + n))
    if n > 0:
        cloud.remove("carla", f"new{n - 1}")
    cloud.put("carla", f"c{FILES - 1 - n}", "file", "Docs", f"renamed{n}.docx", doc(FILES - 1 - n))


def baseline_days(plan: BackupPlan, cloud, days: int = 6) -> None:
    for n in range(days):
        age_baselines(plan)
        working_day(cloud, n)
        runs.run(plan)


def ransomware(cloud, count: int = 70) -> None:
    for i in range(count):
        cloud.put("carla", f"c{i}", "file", "Docs", f"file{i}.docx.locked", os.urandom(len(doc(i))))


def kinds(plan: BackupPlan) -> set[str]:
    return set(BackupAlert.objects.filter(plan=plan).values_list("kind", flat=True))


def test_first_snapshot_seeds_baseline_and_sink_records_entropy(office):
    carla = BackupAccount.objects.get(plan=office, scope_id="carla")
    assert Baseline.from_dict(carla.baseline).days == [] and BackupAlert.objects.count() == 0
    store = runtime.vault().store(office.customer_id)
    entry = store.snapshots.lookup(carla.last_snapshot, "carla", "Docs/file0.docx")
    assert 4.0 < entry.meta["entropy"] < 5.5 and entry.meta["entropy_sample"] == len(doc(0))


def test_normal_working_day_raises_no_alert(office, cloud):
    baseline_days(office, cloud)
    age_baselines(office)
    working_day(cloud, 6)
    result = runs.run(office)
    assert result["failed"] == []
    assert BackupAlert.objects.count() == 0 and len(mail.outbox) == 0
    days = Baseline.from_dict(BackupAccount.objects.get(plan=office, scope_id="carla").baseline).days
    assert len(days) == 7 and (days[-1].modified, days[-1].deleted) == (3, 2)


def test_ransomware_run_raises_critical_alerts_and_mails_admins(office, cloud):
    factories.user("pa@partner.example", "partner_admin", partner=office.customer.partner)
    factories.user("ca@kunde.example", "customer_admin", customer=office.customer)
    baseline_days(office, cloud)
    age_baselines(office)
    ransomware(cloud)
    result = runs.run(office)
    assert kinds(office) == {"encrypted_content", "extension_change", "mass_modification"}
    alerts = BackupAlert.objects.filter(plan=office)
    assert {a.snapshot for a in alerts} == {result["snapshot"]} and {a.account.scope_id for a in alerts} == {"carla"}
    assert alerts.get(kind="encrypted_content").severity == "critical"
    assert alerts.get(kind="extension_change").count == 70 and ".locked" in alerts.get(kind="extension_change").detail
    assert AuditEvent.objects.filter(action="backup.alert").count() == 3
    assert len(mail.outbox) == 1 and sorted(mail.outbox[0].to) == ["ca@kunde.example", "pa@partner.example"]
    assert "encrypted_content" in mail.outbox[0].body and "Backup Kunde" in mail.outbox[0].subject


def test_mass_deletion_raises_alert(office, cloud):
    baseline_days(office, cloud)
    age_baselines(office)
    for i in range(60):
        cloud.remove("carla", f"c{i}")
    runs.run(office)
    alert = BackupAlert.objects.get(plan=office)
    assert alert.kind == "mass_deletion" and alert.detail.startswith("60 of ")


def kustos(capsys, *argv: str) -> tuple[int, object, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def bearer(user) -> dict[str, str]:
    _, token = tokens.create(user, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_alerts_visible_in_cli_api_dashboard_and_acknowledged(office, cloud, capsys):
    customer = office.customer
    baseline_days(office, cloud)
    age_baselines(office)
    ransomware(cloud)
    snap = runs.run(office)["snapshot"]

    code, rows, _ = kustos(capsys, "backup", "alerts", "--customer", customer.id, "--json")
    assert code == 0 and sorted(r["kind"] for r in rows) == ["encrypted_content", "extension_change",
                                                             "mass_modification"]
    assert set(rows[0]) == {"id", "time", "account", "kind", "severity", "detail", "snapshot"}
    assert {r["account"] for r in rows} == {"carla"} and {r["snapshot"] for r in rows} == {snap}
    code, rows_later, _ = kustos(capsys, "backup", "alerts", "--customer", customer.id, "--since", "2999-01-01",
                                 "--json")
    assert code == 0 and rows_later == []
    code, _, err = kustos(capsys, "backup", "alerts", "--customer", customer.id, "--since", "yesterday", "--json")
    assert code == 1 and err.strip() == "kustos: error: invalid --since 'yesterday': use YYYY-MM-DD or an ISO 8601 time"

    client = Client()
    pt = factories.user("pt@partner.example", "partner_tech", partner=customer.partner, totp=True)
    auth = bearer(pt)
    resp = client.get(f"/api/v1/customers/{customer.id}/backup/alerts", **auth)
    assert resp.status_code == 200 and {r["kind"] for r in resp.json()} == {r["kind"] for r in rows}

    web = sign_in(Client(), pt)
    page = web.get(f"/customers/{customer.id}/backup/")
    html = page.content.decode()
    assert page.status_code == 200 and "backup-alert-banner" in html and "encrypted_content" not in html
    assert "files now look encrypted" in html

    enc = next(r for r in rows if r["kind"] == "encrypted_content")
    ack = f"/api/v1/customers/{customer.id}/backup/alerts/acknowledge"
    resp = client.post(ack, {"ids": [enc["id"]]}, content_type="application/json", **auth)
    assert resp.status_code == 200 and resp.json()[0]["acknowledged_by"] == "pt@partner.example"
    assert client.post(ack, {"ids": ["ba_nope"]}, content_type="application/json", **auth).status_code == 404
    eu = factories.user("eu@kunde.example", "end_user", customer=customer)
    assert client.get(f"/api/v1/customers/{customer.id}/backup/alerts", **bearer(eu)).status_code == 403
    admin = sign_in(Client(), factories.user("ca@kunde.example", "customer_admin", customer=customer))
    admin.post("/account/language/", {"language": "de"})
    german = admin.get(f"/customers/{customer.id}/backup/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Verschlüsselter Inhalt" in german and "Massenänderung" in german and "2 kritische Backup-Warnungen" in german

    mod = next(r for r in rows if r["kind"] == "mass_modification")
    resp = web.post(f"/customers/{customer.id}/backup/alerts/ack/", {"alert": mod["id"]})
    assert resp.status_code == 302 and BackupAlert.objects.get(id=mod["id"]).acknowledged_by == "pt@partner.example"
    code, out, _ = kustos(capsys, "backup", "alerts", "ack", rows[0]["id"], "--json")
    assert code == 0 and out["acknowledged_at"]
    for r in rows:
        kustos(capsys, "backup", "alerts", "ack", r["id"], "--json")
    assert BackupAlert.objects.filter(acknowledged_at__isnull=True).count() == 0
    assert "backup-alert-banner" not in web.get(f"/customers/{customer.id}/backup/").content.decode()
    code, _, err = kustos(capsys, "backup", "alerts", "ack", "ba_nope", "--json")
    assert code == 1 and err.strip() == "kustos: error: no backup alert 'ba_nope'"


def test_unusable_baseline_is_seeded_again(office, cloud):
    BackupAccount.objects.filter(plan=office, scope_id="carla").update(baseline={"v": 99})
    ransomware(cloud)
    result = runs.run(office)
    assert result["failed"] == [] and BackupAlert.objects.count() == 0
    assert Baseline.from_dict(BackupAccount.objects.get(plan=office, scope_id="carla").baseline).days == []


def test_ransomware_on_fakecloud_onedrive_raises_alerts(customer, capsys):
    """End to end through Graph: OneDrive documents backed up, then encrypted and renamed .locked."""
    tenant, user = "kustos-guard.onmicrosoft.com", "lena@kustos-guard.onmicrosoft.com"
    with running_fakecloud() as fc:
        control = fc.control
        control.call("reset")
        settings = control.credentials("ms", tenant)
        for i in range(60):
            control.seed("ms", tenant, user, "file", f"/Docs/file{i}.docx", doc(i))
        config = {k: v for k, v in settings.items() if k != "client_secret"}
        source = sources.add(customer, "graph", config, settings["client_secret"], actor="test")
        plan = plans.enable(source, services=["onedrive"])
        first = runs.run(plan)
        assert first["failed"] == [] and BackupAlert.objects.count() == 0

        control.seed("ms", tenant, user, "file", "/Docs/file0.docx", doc(0, 1))  # a normal edit
        runs.run(plan)
        assert BackupAlert.objects.count() == 0

        for i in range(55):
            control.remove("ms", tenant, user, "file", f"/Docs/file{i}.docx")
            control.seed("ms", tenant, user, "file", f"/Docs/file{i}.docx.locked", os.urandom(len(doc(i))))
        third = runs.run(plan)
    assert third["failed"] == []
    assert kinds(plan) == {"encrypted_content", "extension_change", "mass_modification"}
    code, rows, _ = kustos(capsys, "backup", "alerts", "--customer", customer.id, "--json")
    assert code == 0 and {r["snapshot"] for r in rows} == {third["snapshot"]}
    assert all(r["account"].startswith("onedrive:") for r in rows)
