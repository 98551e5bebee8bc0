"""Sandbox seeding against fakecloud (a real process): two orgs of one customer, the sandbox with the
production org's schema. Seeding copies exactly the records of the object matching the filter plus
every parent they (and their parents) look up, parents first and ids remapped: every lookup of the
sandbox points at the right new record (compared field by field through the emulator's items). With
masking, personal fields differ from the originals and still look valid, the same value gets the
same fake, and every other field is copied as it was. CLI, API and dashboard start it; bad input gets
a one-line error."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.accounts.services import tokens
from kustos.audit.models import AuditEvent
from kustos.backup.services import plans, seed
from kustos.cli import registry as cli
from kustos.core.secrets import open_secret
from kustos.jobs.models import Job
from kustos.jobs.tasks import execute
from kustos.sources.salesforce.connector import session_for
from tests import factories
from tests.integration.backup.job_runs import backup
from tests.integration.backup.salesforce_orgs import Org, add_source
from tests.integration.web.session import sign_in

pytestmark = pytest.mark.django_db

PROD = "prod-seed.example.com"
SANDBOX = "sandbox-seed.example.com"
SYSTEM = {"SystemModstamp", "LastModifiedDate", "CreatedDate", "Id", "IsDeleted"}
CONTRACT = b"%PDF-1.7 the contract\x00\xfe" * 64
EMAIL = re.compile(r"^[a-z][a-z0-9]*@[a-z]+\.example$")


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


def seed_prod(org: Org) -> dict[str, str]:
    ids = {"acme": org.add("Account", {"Name": "Acme", "Industry": "Retail", "BillingCity": "Berlin"}),
           "globex": org.add("Account", {"Name": "Globex", "Industry": "Energy", "BillingCity": "Hamburg"}),
           "initech": org.add("Account", {"Name": "Initech", "Industry": "Retail"}),
           "umbrella": org.add("Account", {"Name": "Umbrella", "Industry": "Pharma"})}
    ids["kim"] = org.add("Contact", {
        "FirstName": "Ada", "LastName": "Kim", "Email": "ada.kim@acme.example", "Phone": "+49 (30) 123-4567",
        "MailingStreet": "Unter den Linden 5", "MailingCity": "Berlin", "MailingPostalCode": "10117",
        "Birthdate": "1980-05-17", "Title": "CEO", "Work_Email__c": "ada@work.example", "AccountId": ids["acme"]})
    ids["lee"] = org.add("Contact", {
        "FirstName": "Bo", "LastName": "Lee", "Email": "bo.lee@globex.example", "Phone": "040 555 0101",
        "Title": "Buyer", "Work_Email__c": "bo@globex.example", "AccountId": ids["globex"]})
    ids["ann"] = org.add("Contact", {"LastName": "Ann", "AccountId": ids["initech"]})
    ids["bob"] = org.add("Contact", {"LastName": "Bob", "AccountId": ids["umbrella"]})
    org.change("Account", ids["acme"], {"Primary_Contact__c": ids["kim"]})  # a cycle: Account <-> Contact
    ids["inv1"] = org.add("Invoice__c", {"Name": "INV-1", "Amount__c": 120.0, "Account__c": ids["globex"],
                                         "Contact__c": ids["lee"], "Status__c": "Open"})
    ids["inv2"] = org.add("Invoice__c", {"Name": "INV-2", "Amount__c": 40.0, "Account__c": ids["acme"],
                                         "Contact__c": ids["kim"], "Status__c": "Open"})
    ids["inv3"] = org.add("Invoice__c", {"Name": "INV-3", "Amount__c": 300.0, "Account__c": ids["initech"],
                                         "Status__c": "Paid"})
    ids["inv4"] = org.add("Invoice__c", {"Name": "INV-4", "Amount__c": 75.0, "Account__c": ids["umbrella"],
                                         "Contact__c": ids["bob"], "Status__c": "Void"})
    ids["att"] = org.add("Attachment", {"Name": "contract.pdf", "ParentId": ids["globex"],
                                        "Body": base64.b64encode(CONTRACT).decode()})
    org.describe("Invoice__c", "Account__c", type="reference", referenceTo=["Account"], nillable=False)
    org.describe("Contact", "Email", type="email")
    org.describe("Contact", "Phone", type="phone")
    org.describe("Contact", "Work_Email__c", type="email")  # masked because the describe says e-mail
    return ids


@pytest.fixture
def two_orgs(fakecloud, customer, capsys, tmp_path):
    control = fakecloud.control
    control.call("reset")
    prod, sandbox = Org(control, PROD), Org(control, SANDBOX)
    ids = seed_prod(prod)
    control.call("salesforce/copy_schema", **{"from": PROD, "to": SANDBOX})
    ids["note"] = prod.add("Note__c", {"Name": "prod only", "Account__c": ids["globex"]})  # not in the sandbox
    prod_source = add_source(control, customer, PROD, capsys, tmp_path)
    sandbox_source = add_source(control, customer, SANDBOX, capsys, tmp_path)
    snap = backup(plans.enable(prod_source, services=["data"]))
    return prod, sandbox, ids, snap, prod_source, sandbox_source


def kustos(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_report() -> dict:
    job = Job.objects.filter(kind=seed.JOB_KIND).order_by("-created_at").first()
    assert job is not None and job.state == Job.State.SUCCEEDED, job and job.error
    return dict(job.result)


def same_shape(fake: str, real: str) -> bool:
    """Same length; digits where digits were, letters where letters were, the rest unchanged."""
    return len(fake) == len(real) and all(
        (a.isdigit() and b.isdigit()) or (a.isalpha() and b.isalpha()) or a == b for a, b in zip(fake, real, strict=False))


def check_copy(prod: Org, sandbox: Org, recreated: dict[str, str], masked: dict[str, list[str]],
               known: set[str]) -> None:
    """Every copied record equals its original field by field: lookups at the new ids of the copied
    parents, masked fields different and valid, everything else the same."""
    for obj in ("Account", "Contact", "Invoice__c"):
        originals, copies = prod.records(obj), sandbox.records(obj)
        for old_id, original in originals.items():
            if old_id not in recreated:
                continue
            copy = copies[recreated[old_id]]
            for field, value in original.items():
                if field in SYSTEM:
                    continue
                if field in masked.get(obj, []) and value is not None:
                    assert copy[field] != value, (obj, field)
                elif isinstance(value, str) and value in known:
                    assert copy[field] == recreated[value], (obj, field)  # the lookup follows its parent
                else:
                    assert copy[field] == value, (obj, field)


def test_seed_copies_the_filtered_subset_with_its_parents_and_masks(two_orgs, capsys):
    prod, sandbox, ids, snap, _prod_source, sandbox_source = two_orgs
    before = {obj: prod.records(obj) for obj in ("Account", "Contact", "Invoice__c")}
    known = {rid for rows in before.values() for rid in rows}
    code, out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                            "Invoice__c", "--where", "Amount__c > 50 AND Status__c != 'Void'", "--mask-personal",
                            "--mask-field", "Contact.Title", "--json")
    assert code == 0, err
    result = json.loads(out)
    # INV-1 and INV-3 (INV-2 is too small, INV-4 void), their accounts, INV-1's contact; no other record.
    assert result["records"] == {"Account": 2, "Contact": 1, "Invoice__c": 2}
    assert result["failed"] == [] and result["unresolved_lookups"] == []
    report = last_report()
    recreated = report["recreated"]
    assert set(recreated) == {ids["inv1"], ids["inv3"], ids["globex"], ids["initech"], ids["lee"]}
    assert {obj: len(sandbox.records(obj)) for obj in before} == {"Account": 2, "Contact": 1, "Invoice__c": 2}
    assert {obj: prod.records(obj) for obj in before} == before  # production untouched
    masked = result["masked"]
    assert set(masked["Contact"]) == {"FirstName", "LastName", "Email", "Phone", "Title", "Work_Email__c"}
    assert masked["Account"] == ["BillingCity"]
    check_copy(prod, sandbox, recreated, masked, known)
    lee = sandbox.records("Contact")[recreated[ids["lee"]]]
    real = before["Contact"][ids["lee"]]
    assert EMAIL.match(lee["Email"]) and EMAIL.match(lee["Work_Email__c"])
    assert same_shape(lee["Phone"], real["Phone"]) and same_shape(lee["LastName"], real["LastName"])
    assert lee["LastName"][0].isupper() and lee["Title"] != "Buyer"
    inv1 = sandbox.records("Invoice__c")[recreated[ids["inv1"]]]
    assert inv1["Account__c"] == recreated[ids["globex"]] and inv1["Contact__c"] == lee["Id"]
    assert inv1["Amount__c"] == 120.0 and inv1["Name"] == "INV-1"  # not personal: as it was
    event = AuditEvent.objects.filter(action="backup.seed.done").latest("seq")
    assert event.detail["records"] == result["records"]

    # A cycle (Acme's primary contact Kim works at Acme), all personal fields; the same value, the same fake.
    code, out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                            "Account", "--where", "Industry = 'retail' AND Name LIKE 'A%'", "--mask-personal",
                            "--json")
    assert code == 0, err
    assert json.loads(out)["records"] == {"Account": 1, "Contact": 1}
    second = last_report()["recreated"]
    check_copy(prod, sandbox, second, json.loads(out)["masked"], known)
    kim, acme = sandbox.records("Contact")[second[ids["kim"]]], sandbox.records("Account")[second[ids["acme"]]]
    assert kim["AccountId"] == acme["Id"] and acme["Primary_Contact__c"] == kim["Id"]
    original = before["Contact"][ids["kim"]]
    assert kim["Title"] == "CEO"  # not asked this time
    assert same_shape(kim["MailingPostalCode"], "10117") and kim["MailingPostalCode"] != "10117"
    assert kim["MailingStreet"] != original["MailingStreet"] and kim["MailingCity"] != "Berlin"
    assert date.fromisoformat(kim["Birthdate"]) != date(1980, 5, 17)
    assert acme["BillingCity"] == kim["MailingCity"] != "Berlin"  # the same value, the same fake


def test_seed_without_masking_copies_values_and_rejects_bad_input(two_orgs, capsys, customer, tmp_path):
    prod, sandbox, ids, snap, prod_source, sandbox_source = two_orgs
    code, out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                            "Contact", "--where", "LastName IN ('Kim', 'Bob')", "--json")
    assert code == 0, err
    result = json.loads(out)
    # Kim -> Acme -> (primary contact) Kim; Bob -> Umbrella
    assert result["records"] == {"Account": 2, "Contact": 2} and result["masked"] == {}
    copies = {r["LastName"]: r for r in sandbox.records("Contact").values()}
    assert copies["Kim"]["Email"] == "ada.kim@acme.example" and copies["Kim"]["Phone"] == "+49 (30) 123-4567"
    accounts = {r["Name"]: r for r in sandbox.records("Account").values()}
    assert copies["Bob"]["AccountId"] == accounts["Umbrella"]["Id"]
    assert accounts["Acme"]["Primary_Contact__c"] == copies["Kim"]["Id"]
    code, out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                            "Attachment", "--where", "Name LIKE 'contract%'", "--json")
    assert code == 0, err
    assert json.loads(out)["records"] == {"Account": 1, "Attachment": 1}  # the file and the account it hangs on
    new = last_report()["recreated"]
    attachment = sandbox.records("Attachment")[new[ids["att"]]]
    assert attachment["ParentId"] == new[ids["globex"]]
    session = session_for(sandbox_source.config, open_secret(sandbox_source.secret, sandbox_source.id), None)
    try:
        assert session.get_bytes(f"sobjects/Attachment/{attachment['Id']}/Body") == CONTRACT
    finally:
        session.close()

    bad = [(["--where", "Amount__c > 'x'"], "compares numbers or dates"),
           (["--where", "Name = 'x' ; DROP"], "unexpected character ';'"),
           (["--mask-field", "Contact.Title"], "need --mask-personal"),
           (["--mask-personal", "--mask-field", "Title"], "must be Object.Field")]
    for extra, message in bad:
        code, _out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id,
                                 "--object", "Contact", *extra, "--json")
        assert code == 1 and message in err and err.count("\n") == 1, err
    code, _out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                             "Opportunity", "--json")
    assert code == 1 and "no Opportunity records" in err
    code, _out, missing = kustos(capsys, "backup", "seed", snap.id, "--to-source", "sr_nope", "--object", "Contact")
    assert code == 1 and "no source 'sr_nope'" in missing
    code, _out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", prod_source.id, "--object", "Contact")
    assert code == 1 and "the snapshot's own source cannot be the target" in err
    assert Job.objects.filter(kind=seed.JOB_KIND).count() == 2
    code, _out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", sandbox_source.id, "--object",
                             "Contact", "--where", "Lastname = 'Kim'")
    assert code == 1 and "Contact has no field Lastname" in err and err.count("\n") == 1, err
    empty = add_source(prod.control, customer, "empty-seed.example.com", capsys, tmp_path)  # no custom objects
    code, _out, err = kustos(capsys, "backup", "seed", snap.id, "--to-source", empty.id, "--object", "Invoice__c")
    assert code == 1 and "the target org has no object Invoice__c" in err and err.count("\n") == 1, err


def test_seed_from_api_and_dashboard(two_orgs, customer):
    _prod, sandbox, ids, snap, prod_source, sandbox_source = two_orgs
    other = factories.customer(customer.partner, "Other GmbH")
    client = Client()
    _, token = tokens.create(factories.user("pt@seed.example", "partner_tech", partner=customer.partner, totp=True),
                             "t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/sources/{prod_source.id}/backup/seed"
    resp = client.post(url, {"snapshot": snap.id, "to_source": sandbox_source.id, "object": "Invoice__c",
                             "where": "Name = 'INV-3'", "mask_personal": True}, content_type="application/json", **auth)
    assert resp.status_code == 202, resp.content
    job_id = resp.json()["id"]
    execute(job_id)
    job = Job.objects.get(id=job_id)
    assert job.state == Job.State.SUCCEEDED and job.result["records"] == {"Account": 1, "Invoice__c": 1}
    theirs = other.sources.create(kind="salesforce", name="their org", config={})
    resp = client.post(url, {"snapshot": snap.id, "to_source": theirs.id, "object": "Invoice__c"},
                       content_type="application/json", **auth)
    assert resp.status_code == 422 and resp.json()["detail"] == f"no source {theirs.id!r}"

    browser = sign_in(Client(), factories.user("ca@seed.example", "customer_admin", customer=customer))
    base = f"/customers/{customer.id}/sources/{prod_source.id}/backup/"
    html = browser.get(base + "browse/", {"snapshot": snap.id}).content.decode()
    assert 'data-testid="backup-seed"' in html and sandbox_source.id in html and "Seed a sandbox" in html
    resp = browser.post(base + "seed/", {"snapshot": snap.id, "to_source": sandbox_source.id, "object": "Account",
                                         "where": "Name = 'Globex'", "mask_personal": "on", "with_children": "on"})
    assert resp.status_code == 302 and resp["Location"].startswith("/jobs/")
    job = Job.objects.filter(kind=seed.JOB_KIND).order_by("-created_at").first()
    execute(job.id)
    job.refresh_from_db()
    # Globex with what refers to it: its contact, its invoice, its file (and their parents, Globex and Lee);
    # its Note__c is left out: the sandbox has no such object
    assert job.result["records"] == {"Account": 1, "Attachment": 1, "Contact": 1, "Invoice__c": 1}
    new = job.result["recreated"]
    invoice = sandbox.records("Invoice__c")[new[ids["inv1"]]]
    assert invoice["Account__c"] == new[ids["globex"]] and invoice["Contact__c"] == new[ids["lee"]]
    resp = browser.post(base + "seed/", {"snapshot": snap.id, "to_source": sandbox_source.id, "object": "Account",
                                         "where": "Name ="}, follow=True)
    assert "the filter ends too early" in resp.content.decode()
    browser.post("/account/language/", {"language": "de"})
    html = browser.get(base + "browse/", {"snapshot": snap.id}).content.decode()
    assert "Sandbox befüllen" in html and "Personenbezogene Felder maskieren" in html
    assert "Auch die Datensätze kopieren, die auf sie verweisen" in html


def test_a_kind_without_seeding_is_refused(source, customer):
    snap = backup(plans.enable(source))
    target = customer.sources.create(kind="toybackup", name="second", config={"cloud": "t"})
    with pytest.raises(ValidationError) as refused:
        seed.request(snap, actor="test", to_source=target.id, object="Documents")
    assert refused.value.messages == ["source kind 'toybackup' cannot seed another source"]
