"""Salesforce anomaly detection per object, against fakecloud (a real process): every object of the org
has its own baseline and its own denominator, so a normal day of updates raises nothing, a mass update
or mass deletion is reported for the object it hit (in the alerts API and CLI too), and a large
object's normal churn does not hide a small object's mass deletion."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.models import Source
from kustos.backup.models import BackupAccount, BackupAlert
from kustos.backup.services import plans
from kustos.backupguard import Baseline
from kustos.cli import registry as cli
from tests import factories
from tests.integration.backup.test_salesforce_backup import ORG, Org, backup
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


@pytest.fixture
def org_plan(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("salesforce", ORG)
    path = tmp_path / "salesforce.json"
    path.write_text(json.dumps({k: v for k, v in settings.items() if k != "endpoint"}))
    code = cli.run(["source", "add", "salesforce", "--customer", str(customer.id), "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    return Org(control), plans.enable(source, services=["data"])


def add_many(org: Org, obj: str, n: int) -> list[str]:
    return [org.add(obj, {"Name": f"{obj} {i}"}) for i in range(n)]


def test_normal_updates_raise_nothing_and_a_mass_update_is_reported_for_its_object(org_plan, customer, capsys):
    org, plan = org_plan
    accounts, contacts = add_many(org, "Account", 60), add_many(org, "Contact", 70)
    add_many(org, "Opportunity", 10)
    backup(plan)
    parts = BackupAccount.objects.get(plan=plan).baseline
    assert parts["parts"] == {}  # the first snapshot only seeds

    for record_id in accounts[:15]:  # a normal day: some accounts edited, a contact removed
        org.change("Account", record_id, {"Industry": "Retail"})
    org.delete("Contact", contacts[-1])
    backup(plan)
    assert not BackupAlert.objects.filter(plan=plan).exists()
    assert set(BackupAccount.objects.get(plan=plan).baseline["parts"]) == {"Account", "Contact", "Opportunity"}

    for record_id in contacts[:60]:  # every contact rewritten at once
        org.change("Contact", record_id, {"Email": "x@attacker.example"})
    for record_id in accounts[15:20]:
        org.change("Account", record_id, {"Industry": "Energy"})
    snap = backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert (alert.kind, alert.count, alert.snapshot) == ("mass_modification", 60, snap.id)
    assert alert.detail.startswith("60 of 69 records of Contact (87%) modified in one run")
    assert alert.severity == "critical"

    code = cli.run(["backup", "alerts", "--customer", str(customer.id), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert [(r["kind"], r["detail"][:27]) for r in json.loads(out)] == [("mass_modification",
                                                                        "60 of 69 records of Contact")]
    admin = factories.user("ca@sf-anomaly.example", "customer_admin", customer=customer, totp=True)
    token = tokens.create(admin, "t")[1]
    resp = Client().get(f"/api/v1/customers/{customer.id}/backup/alerts", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200 and "records of Contact" in resp.json()[0]["detail"]
    page = sign_in(Client(), admin).get(f"/customers/{customer.id}/backup/")
    assert page.status_code == 200 and "60 of 69 records of Contact" in page.content.decode()


def test_mass_deletion_of_a_small_object_is_not_hidden_by_a_large_objects_churn(org_plan):
    org, plan = org_plan
    tasks, contracts = add_many(org, "Task", 300), add_many(org, "Contract", 60)
    backup(plan)
    for record_id in tasks[:80]:  # the large object's normal churn: about a quarter touched
        org.change("Task", record_id, {"Status": "Completed"})
    for record_id in tasks[80:90]:
        org.delete("Task", record_id)
    for record_id in contracts[:55]:  # 55 of 360 records of the org (15 %), but 55 of 60 contracts
        org.delete("Contract", record_id)
    backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert (alert.kind, alert.count) == ("mass_deletion", 55)
    assert alert.detail.startswith("55 of 60 records of Contract (92%) deleted in one run")
    days = BackupAccount.objects.get(plan=plan).baseline["parts"]
    assert days["Task"]["days"][-1]["modified"] == 80 and days["Task"]["days"][-1]["deleted"] == 10
    assert days["Contract"]["days"][-1]["flagged"] == ["mass_deletion"]


def test_an_account_wide_baseline_of_an_org_gives_way_to_per_object_baselines(org_plan):
    """Orgs backed up before objects had baselines of their own carry on without a false alarm."""
    org, plan = org_plan
    ids = add_many(org, "Opportunity", 70)
    add_many(org, "Account", 20)
    backup(plan)
    account = BackupAccount.objects.get(plan=plan)
    BackupAccount.objects.filter(pk=account.pk).update(baseline=Baseline(account=account.scope_id).to_dict())
    for record_id in ids[:3]:
        org.change("Opportunity", record_id, {"StageName": "Closed Won"})
    backup(plan)
    assert not BackupAlert.objects.filter(plan=plan).exists()
    assert set(BackupAccount.objects.get(plan=plan).baseline["parts"]) == {"Account", "Opportunity"}
    for record_id in ids[3:63]:
        org.delete("Opportunity", record_id)
    backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert alert.kind == "mass_deletion" and alert.detail.startswith("60 of 70 records of Opportunity")
