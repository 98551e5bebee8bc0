"""Salesforce restore into another org (fakecloud, a real process): two orgs of one customer, the second
with the first's schema (as a sandbox has). The org enforces required lookups, so the restore must
create parents first even when the snapshot walks children first (``Audit__c`` before its master
``Zone__c``); every record arrives with every lookup pointing at the new id of its parent, a
nillable cycle (Account → primary Contact → Account) included. A source of another customer is
refused exactly like a missing one; a source of another kind is refused naming the kinds."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.archive.models import Source
from kustos.backup.models import BackupSnapshot
from kustos.backup.services import plans, restore
from kustos.cli import registry as cli
from kustos.core import runtime
from kustos.core.secrets import open_secret
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.connector import session_for
from tests import factories
from tests.integration.backup.job_runs import backup
from tests.integration.backup.salesforce_orgs import Org, add_source
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

PROD = "prod-sf.example.com"
SANDBOX = "sandbox-sf.example.com"
SYSTEM = {"SystemModstamp", "LastModifiedDate", "CreatedDate", "Id", "IsDeleted", "Body"}  # Body: the blob's URL
OBJECTS = ("Account", "Contact", "Invoice__c", "Zone__c", "Audit__c", "Attachment")
BODY = b"minutes of the audit\x00\xff" * 100
REQUIRED = {("Invoice__c", "Account__c"): "Account", ("Audit__c", "Zone__c"): "Zone__c"}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def seed_prod(org: Org) -> dict[str, str]:
    """Parents and children; required master-detail lookups; a nillable cycle."""
    ids = {"acme": org.add("Account", {"Name": "Acme", "Industry": "Retail"}),
           "globex": org.add("Account", {"Name": "Globex", "Industry": "Energy"})}
    ids["kim"] = org.add("Contact", {"LastName": "Kim", "Email": "kim@acme.example", "AccountId": ids["acme"]})
    ids["lee"] = org.add("Contact", {"LastName": "Lee", "AccountId": ids["globex"]})
    org.change("Account", ids["acme"], {"Primary_Contact__c": ids["kim"]})  # Account -> Contact -> Account
    ids["inv"] = org.add("Invoice__c", {"Name": "INV-7", "Amount__c": 99.5, "Contact__c": ids["lee"],
                                        "Account__c": ids["globex"]})
    ids["north"] = org.add("Zone__c", {"Name": "North", "Region__c": "EMEA"})
    ids["audit"] = org.add("Audit__c", {"Name": "AUD-1", "Zone__c": ids["north"], "Score__c": 7})
    ids["att"] = org.add("Attachment", {"Name": "minutes.bin", "ParentId": ids["audit"],
                                        "Body": base64.b64encode(BODY).decode()})
    for (obj, field), target in REQUIRED.items():  # master-detail: required, as the org's describe says
        org.describe(obj, field, type="reference", referenceTo=[target], nillable=False)
    return ids


@pytest.fixture
def two_orgs(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    prod, sandbox = Org(control, PROD), Org(control, SANDBOX)
    ids = seed_prod(prod)
    control.call("salesforce/copy_schema", **{"from": PROD, "to": SANDBOX})  # a sandbox has prod's schema
    prod_source = add_source(control, customer, PROD, capsys, tmp_path)
    sandbox_source = add_source(control, customer, SANDBOX, capsys, tmp_path)
    snap = backup(plans.enable(prod_source, services=["data"]))
    return prod, sandbox, ids, snap, prod_source, sandbox_source


def walk_order(snap: BackupSnapshot) -> list[str]:
    store = runtime.store_for(snap.plan.customer_id)
    return [path for row in store.snapshots.ls(snap.id) for path, _e in store.snapshots.walk(snap.id, row["account"])]


def test_the_sandbox_refuses_a_child_before_its_parent(two_orgs):
    """What a children-first restore would meet: the snapshot walks Audit__c before Zone__c, and the org
    refuses an Audit__c without its master with Salesforce's REQUIRED_FIELD_MISSING body."""
    _prod, _sandbox, ids, snap, _p, sandbox_source = two_orgs
    order = walk_order(snap)
    assert order.index(f"Audit__c/{ids['audit']}.json") < order.index(f"Zone__c/{ids['north']}.json")
    session = session_for(sandbox_source.config, _secret(sandbox_source), None)
    try:
        with pytest.raises(HttpStatusError) as refused:
            session.send("POST", "sobjects/Audit__c", {"Name": "AUD-1", "Score__c": 7})
        assert refused.value.status == 400
        assert refused.value.body == [{"message": "Required fields are missing: [Zone__c]",
                                       "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["Zone__c"]}]
        with pytest.raises(HttpStatusError) as dangling:  # the prod id of the master means nothing here
            session.send("POST", "sobjects/Audit__c", {"Name": "AUD-1", "Zone__c": ids["north"]})
        assert dangling.value.body[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    finally:
        session.close()


def _secret(source: Source) -> str:
    return open_secret(source.secret, source.id)


def test_restore_into_another_org_keeps_every_relationship(two_orgs, capsys):
    prod, sandbox, ids, snap, _prod_source, sandbox_source = two_orgs
    before = {obj: prod.records(obj) for obj in OBJECTS}
    capsys.readouterr()
    code = cli.run(["backup", "restore", snap.id, "--to-source", sandbox_source.id, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["failed"] == [] and report["unresolved_lookups"] == []
    assert report["restored"] == sum(len(rows) for rows in before.values()) + 1  # + the attachment's body
    new = report["recreated"]
    assert set(new) == {rid for rows in before.values() for rid in rows}
    assert {obj: prod.records(obj) for obj in OBJECTS} == before  # the source org is untouched
    for obj in OBJECTS:
        copied = sandbox.records(obj)
        assert set(copied) == {new[rid] for rid in before[obj]}
        for old_id, record in before[obj].items():
            mine = copied[new[old_id]]
            for field, value in record.items():
                if field in SYSTEM:
                    continue
                expected = new.get(value, value) if isinstance(value, str) else value
                assert mine[field] == expected, (obj, field)
    kim = sandbox.records("Contact")[new[ids["kim"]]]
    acme = sandbox.records("Account")[new[ids["acme"]]]
    assert acme["Primary_Contact__c"] == kim["Id"] and kim["AccountId"] == acme["Id"]
    audit = sandbox.records("Audit__c")[new[ids["audit"]]]
    assert audit["Zone__c"] == new[ids["north"]] and audit["Zone__c"] != ids["north"]
    session = session_for(sandbox_source.config, _secret(sandbox_source), None)
    try:
        assert session.get_bytes(f"sobjects/Attachment/{new[ids['att']]}/Body") == BODY
    finally:
        session.close()


def test_restore_target_must_be_the_customers_source_of_the_same_kind(two_orgs, capsys, customer):
    _prod, _sandbox, _ids, snap, prod_source, _sandbox_source = two_orgs
    other = factories.customer(customer.partner, "Other GmbH")
    foreign = Source.objects.create(customer=other, kind="salesforce", name="their org", config={})
    imap = Source.objects.create(customer=customer, kind="imap", name="mail", config={})
    answers = {}
    for target in (foreign.id, "sr_missing", imap.id):
        capsys.readouterr()
        code = cli.run(["backup", "restore", snap.id, "--to-source", target, "--json"])
        _out, err = capsys.readouterr()
        assert code == 1 and err.count("\n") == 1
        answers[target] = err.replace(target, "ID")
    assert answers[foreign.id] == answers["sr_missing"] and "no source" in answers["sr_missing"]
    assert "imap" in answers[imap.id] and "salesforce" in answers[imap.id]

    client = Client()
    _, token = tokens.create(factories.user("pt@sf2.example", "partner_tech", partner=customer.partner, totp=True), "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/sources/{prod_source.id}/backup/restore"
    resp = client.post(url, {"snapshot": snap.id, "to_source": foreign.id}, content_type="application/json", **auth)
    missing = client.post(url, {"snapshot": snap.id, "to_source": "sr_missing"}, content_type="application/json",
                          **auth)
    assert resp.status_code == missing.status_code == 422
    assert resp.json()["detail"].replace(foreign.id, "ID") == missing.json()["detail"].replace("sr_missing", "ID")
    assert not Job.objects.filter(kind=restore.JOB_KIND).exists()


def test_dashboard_restore_into_another_org(two_orgs, customer):
    _prod, sandbox, ids, snap, prod_source, sandbox_source = two_orgs
    browser = sign_in(Client(), factories.user("ca@sf2.example", "customer_admin", customer=customer))
    base = f"/customers/{customer.id}/sources/{prod_source.id}/backup/"
    html = browser.get(base + "browse/", {"snapshot": snap.id}).content.decode()
    assert 'data-testid="backup-restore-to-source"' in html and f'value="{sandbox_source.id}"' in html
    form = {"snapshot": snap.id, "account": "", "to_source": sandbox_source.id, "conflict": "skip"}
    review = browser.post(base + "restore/", {**form, "step": "review"})
    page = review.content.decode()
    assert review.status_code == 200 and 'data-testid="restore-review-target"' in page and sandbox_source.name in page
    assert f'name="to_source" value="{sandbox_source.id}"' in page
    started = browser.post(base + "restore/", form)
    assert started.status_code == 302 and started["Location"].startswith("/jobs/")
    job = Job.objects.filter(kind=restore.JOB_KIND).order_by("-created_at").first()
    execute(job.id)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED and job.result["failed"] == []
    assert set(sandbox.records("Zone__c")) == {job.result["recreated"][ids["north"]]}
    browser.post("/account/language/", {"language": "de"})
    assert "In eine andere Quelle (optional)" in browser.get(base + "browse/", {"snapshot": snap.id}).content.decode()
