"""Salesforce against fakecloud (a real process): back up an org, change, delete and add records, back
up again; compare finds exactly the seeded changes (service, CLI, API, CSV, live); restoring the first
snapshot brings every record back field for field, deleted parents and children re-created with
their lookups pointing at the new ids, files and attachments byte for byte."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.models import Source
from kustos.backup.models import BackupAlert, BackupSnapshot
from kustos.backup.services import compare, plans
from kustos.cli import registry as cli
from kustos.core import runtime
from tests import factories
from tests.integration.backup.job_runs import backup, do_restore
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

ORG = "acme-sf.example.com"
VOLATILE = {"SystemModstamp", "LastModifiedDate", "CreatedDate", "Id"}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class Org:
    def __init__(self, control) -> None:
        self.control = control

    def add(self, obj: str, values: dict) -> str:
        return self.control.seed("salesforce", ORG, "", obj, "", json.dumps(values).encode())["id"]

    def change(self, obj: str, record_id: str, values: dict) -> None:
        self.control.seed("salesforce", ORG, "", obj, record_id, json.dumps(values).encode())

    def delete(self, obj: str, record_id: str) -> None:
        self.control.remove("salesforce", ORG, "", obj, record_id)

    def records(self, obj: str) -> dict[str, dict]:
        return {row["path"]: row["content"] for row in self.control.items("salesforce", ORG, obj)}


@pytest.fixture
def org_source(fakecloud, customer, capsys, tmp_path):
    """The org's connection added as ``kustos source add salesforce --settings-file F.json --endpoint URL``."""
    control = fakecloud.control
    control.call("reset")
    settings = control.credentials("salesforce", ORG)
    path = tmp_path / "salesforce.json"
    path.write_text(json.dumps({k: v for k, v in settings.items() if k != "endpoint"}))
    capsys.readouterr()
    code = cli.run(["source", "add", "salesforce", "--customer", str(customer.id), "--settings-file", str(path),
                    "--endpoint", settings["endpoint"], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    source = Source.objects.get(id=json.loads(out)["id"])
    assert source.kind == "salesforce" and source.config["endpoint"] == settings["endpoint"]
    assert "private_key" not in source.config and source.services == []  # backup only, never archived
    plan = plans.enable(source, services=["data"])
    source.refresh_from_db()
    assert source.services == ["backup"]
    return Org(control), source, plan


def seed_org(org: Org) -> dict[str, str]:
    ids = {"acme": org.add("Account", {"Name": "Acme", "Industry": "Retail"}),
           "globex": org.add("Account", {"Name": "Globex", "Industry": "Energy"})}
    ids["kim"] = org.add("Contact", {"LastName": "Kim", "Email": "kim@acme.example", "AccountId": ids["acme"]})
    ids["lee"] = org.add("Contact", {"LastName": "Lee", "AccountId": ids["globex"]})
    ids["inv"] = org.add("Invoice__c", {"Name": "INV-7", "Amount__c": 99.5, "Contact__c": ids["lee"],
                                        "Account__c": ids["globex"]})
    ids["file"] = org.add("ContentVersion", {"Title": "terms.pdf", "PathOnClient": "terms.pdf",
                                             "VersionData": base64.b64encode(b"%PDF terms v1").decode()})
    ids["att"] = org.add("Attachment", {"Name": "n.txt", "ParentId": ids["globex"],
                                        "Body": base64.b64encode(b"attached notes").decode()})
    return ids


def test_backup_compare_and_restore_the_first_snapshot(org_source):
    org, _source, plan = org_source
    ids = seed_org(org)
    first = backup(plan)
    before = {obj: org.records(obj) for obj in ("Account", "Contact", "Invoice__c", "ContentVersion", "Attachment")}

    org.change("Account", ids["acme"], {"Industry": "Banking"})
    org.change("Contact", ids["kim"], {"Email": "kim@new.example"})
    org.delete("Invoice__c", ids["inv"])
    org.delete("Contact", ids["lee"])
    org.delete("Attachment", ids["att"])
    org.delete("Account", ids["globex"])
    new_id = org.add("Account", {"Name": "Initech"})
    second = backup(plan)
    assert second.id != first.id

    result = compare.compare(first, second)
    assert set(result["objects"]) == {"Account", "Contact", "Invoice__c", "Attachment"}
    account = result["objects"]["Account"]
    assert [r["id"] for r in account["added"]] == [new_id]
    assert [r["id"] for r in account["removed"]] == [ids["globex"]]
    assert account["changed"] == [{"id": ids["acme"], "fields": {"Industry": {"old": "Retail", "new": "Banking"}}}]
    contact = result["objects"]["Contact"]
    assert contact["added"] == [] and [r["id"] for r in contact["removed"]] == [ids["lee"]]
    assert contact["changed"] == [{"id": ids["kim"], "fields": {"Email": {"old": "kim@acme.example",
                                                                          "new": "kim@new.example"}}}]
    assert [r["id"] for r in result["objects"]["Invoice__c"]["removed"]] == [ids["inv"]]
    assert result["objects"]["Invoice__c"]["removed"][0]["record"]["Amount__c"] == 99.5
    only = compare.compare(first, second, "Contact")
    assert list(only["objects"]) == ["Contact"]
    assert compare.compare(second, "live")["objects"] == {}

    report = do_restore(first, conflict="replace")
    assert report["failed"] == [] and report["unresolved_lookups"] == []
    assert set(report["recreated"]) == {ids["globex"], ids["lee"], ids["inv"], ids["att"]}
    assert report["restored"] == 6 + 1 and report["skipped"] == len(first_items(first)) - 7  # + the attachment body
    after = {obj: org.records(obj) for obj in before}
    # Changed records are back field for field under their own ids.
    for key, obj in (("acme", "Account"), ("kim", "Contact")):
        assert after[obj][ids[key]] == {**before[obj][ids[key]], **{f: after[obj][ids[key]][f] for f in VOLATILE}}
    assert ids["file"] in after["ContentVersion"]
    # Deleted records are re-created with new ids; lookups point at the re-created parents.
    globex = [r for r in after["Account"].values() if r["Name"] == "Globex"]
    lee = [r for r in after["Contact"].values() if r["LastName"] == "Lee"]
    inv = list(after["Invoice__c"].values())
    att = list(after["Attachment"].values())
    assert len(globex) == len(lee) == len(inv) == len(att) == 1
    assert globex[0]["Industry"] == "Energy" and lee[0]["AccountId"] == globex[0]["Id"]
    assert inv[0]["Contact__c"] == lee[0]["Id"] and inv[0]["Account__c"] == globex[0]["Id"]
    assert inv[0]["Amount__c"] == 99.5 and att[0]["ParentId"] == globex[0]["Id"]
    for obj, old in (("Account", ids["globex"]), ("Contact", ids["lee"]), ("Invoice__c", ids["inv"])):
        recreated = next(r for r in after[obj].values() if r["Id"] not in before[obj] and r["Id"] != new_id)
        same = {f for f in before[obj][old] if f not in VOLATILE and not f.endswith(("Id", "__c"))
                or f in ("Amount__c",)}
        assert {f: recreated[f] for f in same} == {f: before[obj][old][f] for f in same}
    blob = org.control.get("items", service="salesforce", tenant=ORG, kind="Attachment")
    assert len(blob) == 1
    third = backup(plan)
    body = next(p for p, _e in _walk(third) if p.startswith("Attachment/") and p.endswith(".Body"))
    assert _read(third, body) == b"attached notes"
    # The restored org equals the first snapshot again, apart from the new ids and the added record.
    again = compare.compare(first, "live")
    assert [r["id"] for r in again["objects"]["Account"]["added"]] == sorted([new_id, globex[0]["Id"]])


def first_items(snap: BackupSnapshot) -> list[str]:
    return [p for p, _e in _walk(snap)]


def _walk(snap: BackupSnapshot):
    store = runtime.store_for(snap.plan.customer_id)
    for row in store.snapshots.ls(snap.id):
        yield from store.snapshots.walk(snap.id, row["account"])


def _read(snap: BackupSnapshot, path: str) -> bytes:
    store = runtime.store_for(snap.plan.customer_id)
    account = store.snapshots.ls(snap.id)[0]["account"]
    entry = store.snapshots.lookup(snap.id, account, path)
    with store.open(entry.id) as stream:
        return stream.read()


def kustos(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_cli_api_and_csv(org_source, capsys):
    org, source, plan = org_source
    ids = seed_org(org)
    first = backup(plan)
    org.change("Contact", ids["kim"], {"Email": "=cmd|x"})
    org.delete("Invoice__c", ids["inv"])
    second = backup(plan)

    code, out, err = kustos(capsys, "backup", "compare", first.id, second.id, "--object", "Contact", "--json")
    assert code == 0, err
    assert json.loads(out)["objects"] == {"Contact": {"added": [], "removed": [], "changed": [
        {"id": ids["kim"], "fields": {"Email": {"old": "kim@acme.example", "new": "=cmd|x"}}}]}}
    code, out, err = kustos(capsys, "backup", "compare", first.id, second.id, "--object", "Contact", "--csv")
    assert code == 0, err
    assert out.splitlines() == [",".join(compare.CSV_HEADER), f"Contact,{ids['kim']},changed,Email,kim@acme.example,'=cmd|x"]
    code, out, err = kustos(capsys, "backup", "compare", first.id, "live", "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)["objects"]["Invoice__c"]["removed"]] == [ids["inv"]]
    code, out, err = kustos(capsys, "backup", "compare", first.id, "20260101T000000000000-deadbeef", "--json")
    assert code == 1 and "no backup snapshot" in err and err.count("\n") == 1

    client = Client()
    _, token = tokens.create(factories.user("pt@sf.example", "partner_tech", partner=source.customer.partner,
                                            totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/sources/{source.id}/backup/compare"
    resp = client.get(url, {"snapshot": first.id, "other": second.id}, **auth)
    assert resp.status_code == 200
    assert set(resp.json()["objects"]) == {"Contact", "Invoice__c"}
    resp = client.get(url + ".csv", {"snapshot": first.id, "other": second.id, "object": "Contact"}, **auth)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert rows == [list(compare.CSV_HEADER), ["Contact", ids["kim"], "changed", "Email", "kim@acme.example",
                                               "'=cmd|x"]]
    resp = client.get(url, {"snapshot": first.id, "other": "nope"}, **auth)
    assert resp.status_code == 404


def test_dashboard_compare_page_and_csv(org_source):
    org, source, plan = org_source
    ids = seed_org(org)
    first = backup(plan)
    org.change("Account", ids["acme"], {"Industry": "Banking"})
    second = backup(plan)
    client = sign_in(Client(), factories.user("ca@sf.example", "customer_admin", customer=source.customer))
    base = f"/customers/{source.customer.id}/sources/{source.id}/backup/"
    assert "backup-compare-link" in client.get(base).content.decode()
    page = client.get(base + "compare/", {"snapshot": first.id, "other": second.id})
    assert page.status_code == 200
    html = page.content.decode()
    assert "backup-compare-rows" in html and ids["acme"] in html and "Retail" in html and "Banking" in html
    assert ids["globex"] not in html
    resp = client.get(base + "compare/", {"snapshot": first.id, "other": second.id, "format": "csv"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp.content.decode().splitlines()[1] == f"Account,{ids['acme']},changed,Industry,Retail,Banking"
    assert client.get(base + "compare/", {"snapshot": "nope"}).status_code == 404
    client.post("/account/language/", {"language": "de"})
    html = client.get(base + "compare/", {"snapshot": first.id, "other": second.id}).content.decode()
    assert "Sicherungen vergleichen" in html and "Als CSV herunterladen" in html and "Alter Wert" in html


def test_mass_deletion_of_records_raises_an_anomaly_alert(org_source):
    org, _source, plan = org_source
    ids = [org.add("Opportunity", {"Name": f"Deal {i}", "Amount": 1000 + i}) for i in range(70)]
    backup(plan)
    assert not BackupAlert.objects.filter(plan=plan).exists()
    for record_id in ids[:60]:
        org.delete("Opportunity", record_id)
    backup(plan)
    alert = BackupAlert.objects.get(plan=plan)
    assert alert.kind == "mass_deletion" and alert.detail.startswith("60 of ")
