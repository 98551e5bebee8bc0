"""Salesforce backup: large objects read through Bulk API 2.0 query jobs (fakecloud as a real process).

An object with more records than ``bulk_threshold`` (``limits/recordCount``) is read by a query job:
created, polled until ``JobComplete`` (the emulator keeps it ``InProgress`` for a few polls), results read
set by set through ``Sforce-Locator``. The records become the same bytes a REST query gives (booleans,
numbers, nulls, dateTimes, text with commas, quotes and line breaks); Failed and Aborted jobs are clear
errors; ``REQUEST_LIMIT_EXCEEDED`` is waited out; the contract suite passes with every object on Bulk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from fakecloud.testing import FakeCloudProcess, running_fakecloud
from kustos.sources.salesforce.backup import DataService
from kustos.sources.salesforce.bulk import BulkJobFailed, BulkQuery, typed_record
from kustos.sources.salesforce.connector import SalesforceBackupConnector, session_for
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.test_salesforce_backup import EGRESS, SalesforceSource

FAST = {"set_size": 2, "poll_seconds": 0.0}


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class BulkSource(SalesforceSource):
    """Every object counts as large: each full read goes through a Bulk API query job, two rows a set."""

    def build(self) -> SalesforceBackupConnector:
        session = session_for(self.settings, self.secret, EGRESS)
        return SalesforceBackupConnector(session, ("data",), {"data": {
            "bulk_threshold": 0, "bulk": BulkQuery(session, **FAST)}})


class TestSalesforceBulkContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> BulkSource:
        fakecloud.control.call("faults/clear")
        return BulkSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> BulkSource:
    fakecloud.control.call("faults/clear")
    return BulkSource(fakecloud)


def service(source: SalesforceSource, threshold: int | None, **bulk: Any) -> DataService:
    session = session_for(source.settings, source.secret, EGRESS)
    return DataService(session, bulk_threshold=threshold, bulk=BulkQuery(session, **{**FAST, **bulk}))


def paths(stats: dict[str, Any], part: str) -> list[str]:
    return [r["path"] for r in stats["requests"] if part in r["path"]]


def seed_varied(source: SalesforceSource) -> dict[str, str]:
    account = source.record("Account", {"Name": "Acme, \"Inc.\"", "Industry": "Retail", "Active__c": True,
                                        "Score__c": 3, "Rating__c": 12.5})
    ids = {"account": account}
    ids["plain"] = source.record("Account", {"Name": "Line\nbreak ünïcødé", "Industry": None, "Active__c": False,
                                             "Score__c": 0, "Rating__c": -0.25})
    ids["empty"] = source.record("Account", {"Name": "", "Industry": "", "Active__c": False, "Score__c": 1e21,
                                             "Rating__c": None})
    for n in range(3):
        source.record("Account", {"Name": f"Filler {n}", "Active__c": True, "Score__c": n, "Rating__c": n / 3})
    ids["contact"] = source.record("Contact", {"LastName": "Kim", "AccountId": account})
    return ids


def test_large_objects_go_through_bulk_jobs_and_give_the_same_bytes_as_rest(source: BulkSource) -> None:
    seed_varied(source)
    version = source.record("ContentVersion", {"Title": "a.pdf", "PathOnClient": "a.pdf", "VersionData": "JVBERg=="})
    rest = drain(service(source, None), source.scope(), None)
    assert not paths(source.control.stats(), "/jobs/query")
    bulk = drain(service(source, 4), source.scope(), None)  # Account (6) is large; Contact (1) is not
    stats = source.control.stats()
    created = [p for p in paths(stats, "/jobs/query") if p.endswith("/jobs/query")]
    assert len(created) == 1  # Account only: Contact is small, ContentVersion has a binary field
    results = [r for r in stats["requests"] if r["path"].endswith("/results")]
    assert len(results) == 3  # six rows, two a set
    assert [r["method"] for r in stats["requests"] if "/jobs/query/" in r["path"]][-1] == "DELETE"  # read: deleted
    assert sorted((i.folder, i.meta["name"], i.data) for i in bulk.items if i.kind == "record") == sorted(
        (i.folder, i.meta["name"], i.data) for i in rest.items if i.kind == "record")
    assert len([i for i in bulk.items if i.folder == "Account"]) == 6
    assert any(i.source_id == f"{version}/VersionData" for i in bulk.items)
    account = next(json.loads(i.data) for i in bulk.items if json.loads(i.data or b"{}").get("Name") == "Acme, \"Inc.\"")
    assert account["Active__c"] is True and account["Score__c"] == 3.0 and account["Industry"] == "Retail"
    assert account["SystemModstamp"].endswith("+0000")


def test_bulk_job_is_polled_until_complete_and_results_follow_the_locator(source: BulkSource) -> None:
    source.control.call("salesforce/configure", bulk_polls=3)
    try:
        ids = seed_varied(source)
        records = list(service(source, 0).records("Account"))
    finally:
        source.control.call("salesforce/configure", bulk_polls=2)
    assert {r["Id"] for r in records} >= {ids["account"], ids["plain"], ids["empty"]}
    stats = source.control.stats()
    polls = [r["path"] for r in stats["requests"] if r["method"] == "GET" and "/jobs/query/" in r["path"]
             and not r["path"].endswith("/results")]
    assert len(polls) == 4  # three times InProgress, then JobComplete
    empty = next(r for r in records if r["Id"] == ids["empty"])
    assert empty["Name"] is None and empty["Industry"] is None and empty["Rating__c"] is None
    assert empty["Score__c"] == 1e21


def test_failed_and_aborted_jobs_are_clear_errors(source: BulkSource) -> None:
    source.record("ContentVersion", {"Title": "b.pdf", "PathOnClient": "b.pdf", "VersionData": "JVBERg=="})
    session = session_for(source.settings, source.secret, EGRESS)
    described = session.get("sobjects/ContentVersion/describe")["fields"]
    with pytest.raises(BulkJobFailed, match=r"for ContentVersion ended Failed: .*Binary field not supported"):
        list(BulkQuery(session, poll_seconds=0).records("ContentVersion", described))
    source.record("Account", {"Name": "Slow"})
    source.control.call("salesforce/configure", bulk_polls=50)
    try:
        with pytest.raises(BulkJobFailed, match=r"for Account did not finish within 0 s; it was aborted"):
            list(BulkQuery(session, poll_seconds=0, timeout=0).records("Account", session.get(
                "sobjects/Account/describe")["fields"]))
    finally:
        source.control.call("salesforce/configure", bulk_polls=2)
    job = next(p for p in reversed(paths(source.control.stats(), "/jobs/query/")))
    assert session.get(job.split("/services/data/v59.0/", 1)[1])["state"] == "Aborted"


def test_request_limit_exceeded_on_a_bulk_job_is_waited_out(source: BulkSource) -> None:
    source.create(4)
    source.control.throttle("/services/data/v59.0/jobs/query", 2, 0.4, status=403)
    result = drain(source.backup, source.scope(), None)
    assert len(result.items) == 4 and source.throttle_obeyed()


def test_emulator_speaks_bulk_api_2(source: BulkSource) -> None:
    """Job info keys as in the Bulk API 2.0 walkthrough, 412 JOB_NOT_COMPLETE before the end, CSV with
    the two headers, the locator string ``null`` after the last set, recordCount as documented."""
    source.create(3)
    session = session_for(source.settings, source.secret, EGRESS)
    job = session.send("POST", "jobs/query", {"operation": "query", "query": "SELECT Id, Name FROM Account"})
    assert set(job) == {"id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
                        "concurrencyMode", "contentType", "apiVersion", "lineEnding", "columnDelimiter"}
    assert job["state"] == "UploadComplete" and job["object"] == "Account" and job["contentType"] == "CSV"
    url = session.url(f"jobs/query/{job['id']}/results")
    early = session.http.request("GET", url)
    assert early.status_code == 412 and early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"
    states = [session.get(f"jobs/query/{job['id']}")["state"] for _ in range(3)]
    assert states == ["InProgress", "InProgress", "JobComplete"]
    first = session.http.request("GET", url, params={"maxRecords": 2})
    assert first.status_code == 200 and first.headers["Sforce-NumberOfRecords"] == "2"
    assert first.text.splitlines()[0] == '"Id","Name"' and first.headers["Sforce-Locator"] != "null"
    last = session.http.request("GET", url, params={"maxRecords": 2, "locator": first.headers["Sforce-Locator"]})
    assert last.headers["Sforce-NumberOfRecords"] == "1" and last.headers["Sforce-Locator"] == "null"
    bad = session.http.request("POST", session.url("jobs/query"), content=b'{"operation": "insert", "query": "x"}',
                               headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    counts = session.get("limits/recordCount", {"sObjects": "Account"})
    assert counts == {"sObjects": [{"count": 3, "name": "Account"}]}


def test_typed_record_rebuilds_compound_fields_and_rest_types() -> None:
    fields = [{"name": "Id", "type": "id"}, {"name": "BillingStreet", "type": "textarea", "compoundFieldName":
              "BillingAddress"}, {"name": "BillingCity", "type": "string", "compoundFieldName": "BillingAddress"},
              {"name": "BillingPostalCode", "type": "string", "compoundFieldName": "BillingAddress"},
              {"name": "BillingAddress", "type": "address"}, {"name": "NumberOfEmployees", "type": "int"},
              {"name": "Spot__Latitude__s", "type": "double", "compoundFieldName": "Spot__c"},
              {"name": "Spot__Longitude__s", "type": "double", "compoundFieldName": "Spot__c"},
              {"name": "Spot__c", "type": "location"}, {"name": "LastActivityDate", "type": "date"},
              {"name": "CreatedDate", "type": "datetime"}]
    row = {"Id": "001000000000001AAA", "BillingStreet": "1 Main St", "BillingCity": "Berlin", "BillingPostalCode": "",
           "NumberOfEmployees": "250", "Spot__Latitude__s": "", "Spot__Longitude__s": "", "LastActivityDate":
           "2024-05-01", "CreatedDate": "2024-05-01T10:11:12.000Z"}
    record = typed_record(row, fields)
    assert list(record) == [f["name"] for f in fields]
    assert record["BillingAddress"] == {"street": "1 Main St", "city": "Berlin", "postalCode": None}
    assert record["Spot__c"] is None and record["NumberOfEmployees"] == 250
    assert record["CreatedDate"] == "2024-05-01T10:11:12.000+0000" and record["LastActivityDate"] == "2024-05-01"
