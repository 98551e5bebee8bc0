"""Salesforce backup (kind ``salesforce``, service ``data``) against fakecloud as a real process.

The shared contract suite on Account records (item bytes = the record's canonical JSON, as
fakecloud's ``/_fakecloud/items`` shows it): everything first, nothing second, creations and
deletions through the getUpdated/getDeleted windows, a missed window (older than Salesforce keeps)
answered by a full resync, ``REQUEST_LIMIT_EXCEEDED`` obeyed. Plus: updates via the window, custom
objects, ContentVersion/Attachment bytes, JWT signature checked against the certificate.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import lzma
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fakecloud.salesforce.seed import make_certificate
from fakecloud.testing import FakeCloudProcess, running_fakecloud, throttle_obeyed
from kustos.sources.base import AuthenticationFailed, Connector, Item, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.http import HttpStatusError
from kustos.sources.kinds import registry
from kustos.sources.kinds.fields import KindError
from kustos.sources.salesforce.backup import DataService, Seen, canonical
from kustos.sources.salesforce.connector import SalesforceBackupConnector
from tests.contract.connector_contract import ConnectorContract, drain

EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])
_counter = itertools.count()


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class SalesforceSource:
    """A fresh org with a connected app; the contract creates and deletes Account records."""

    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.cloud, self.control = cloud, cloud.control
        self.tenant = f"org{next(_counter)}.example.com"
        self.settings = self.control.credentials("salesforce", self.tenant)
        self.secret = self.settings.pop("private_key")
        self.backup = self.build()
        self.org_scope = next(iter(self.backup.scopes()))

    def build(self) -> SalesforceBackupConnector:
        kind = registry.get("salesforce")
        assert kind.build_backup is not None
        connector = kind.build_backup(self.settings, self.secret, EGRESS, ("data",))
        assert isinstance(connector, SalesforceBackupConnector)
        return connector

    def connector(self) -> Connector:
        return self.build()

    def scope(self) -> Scope:
        return self.org_scope

    def record(self, object_name: str, values: dict[str, Any]) -> str:
        return self.control.seed("salesforce", self.tenant, "", object_name, "", json.dumps(values).encode())["id"]

    def stored(self, object_name: str) -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.control.items("salesforce", self.tenant, object_name)}

    def create(self, count: int) -> list[bytes]:
        ids = [self.record("Account", {"Name": f"Acme {next(_counter)}", "Industry": "Retail"})
               for _ in range(count)]
        stored = self.stored("Account")
        return [canonical(stored[record_id]["content"]) for record_id in ids]

    def delete(self, item: Item) -> None:
        self.control.remove("salesforce", self.tenant, "", str(item.meta["object"]), item.source_id)

    def invalidate_cursor(self) -> None:
        self.control.call("salesforce/expire_window", tenant=self.tenant)

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/services/data/", requests, retry_after, status=403)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestSalesforceBackupContract(ConnectorContract):
    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> SalesforceSource:
        fakecloud.control.call("faults/clear")
        return SalesforceSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> SalesforceSource:
    fakecloud.control.call("faults/clear")
    return SalesforceSource(fakecloud)


def test_kind_is_backup_only_with_the_data_and_metadata_services(source: SalesforceSource) -> None:
    kind = registry.get("salesforce")
    assert kind.services == ("backup",) and kind.backup_services == ("data", "metadata")
    scopes = list(source.backup.scopes())
    assert len(scopes) == 1 and scopes[0].id.startswith("data:00D") and scopes[0].kind == "org"
    source.backup.check()
    with pytest.raises(ValueError, match="unknown Salesforce backup service.*: files"):
        kind.build_backup(source.settings, source.secret, EGRESS, ("data", "files"))


def test_a_key_that_does_not_match_the_certificate_is_refused(source: SalesforceSource) -> None:
    other_key, _cert = make_certificate()
    kind = registry.get("salesforce")
    assert kind.build_backup is not None
    connector = kind.build_backup(source.settings, other_key, EGRESS, ("data",))
    with pytest.raises(AuthenticationFailed, match="invalid_grant"):
        list(connector.scopes())


def test_updates_custom_objects_files_and_attachments(source: SalesforceSource) -> None:
    account = source.record("Account", {"Name": "Parent"})
    contact = source.record("Contact", {"LastName": "Kim", "AccountId": account})
    invoice = source.record("Invoice__c", {"Name": "INV-1", "Amount__c": 12.5, "Account__c": account})
    version = source.record("ContentVersion", {"Title": "contract.pdf", "PathOnClient": "contract.pdf",
                                               "VersionData": "JVBERi0xLjQgc2lnbmVk"})
    note = source.record("Attachment", {"Name": "a.txt", "ParentId": account, "Body": "aGVsbG8="})
    post = source.record("FeedItem", {"Body": "Quarter closed", "ParentId": account})
    reply = source.record("FeedComment", {"CommentBody": "Well done", "FeedItemId": post})
    first = drain(source.backup, source.scope(), None)
    by_path = {f"{i.folder}/{i.meta['name']}": i for i in first.items}
    assert {i.folder for i in first.items} == {"Account", "Contact", "Invoice__c", "ContentVersion", "Attachment",
                                               "FeedItem", "FeedComment"}
    assert json.loads(by_path[f"FeedComment/{reply}.json"].data)["FeedItemId"] == post  # Chatter thread kept
    assert json.loads(by_path[f"Contact/{contact}.json"].data)["AccountId"] == account
    assert json.loads(by_path[f"Invoice__c/{invoice}.json"].data)["Amount__c"] == 12.5
    blob = by_path[f"ContentVersion/{version}.VersionData"]
    assert blob.stream is not None and b"".join(blob.stream()) == b"%PDF-1.4 signed"
    body = by_path[f"Attachment/{note}.Body"]
    assert body.stream is not None and b"".join(body.stream()) == b"hello"

    source.control.seed("salesforce", source.tenant, "", "Contact", contact, json.dumps({"LastName": "Kim-Lee"}).encode())
    source.control.remove("salesforce", source.tenant, "", "Attachment", note)
    source.record("Project__c", {"Name": "new custom object"})
    delta = drain(source.backup, source.scope(), first.cursor)
    assert not delta.reset
    assert sorted((i.folder, json.loads(i.data).get("LastName") or json.loads(i.data)["Name"]) for i in delta.items) \
        == [("Contact", "Kim-Lee"), ("Project__c", "new custom object")]
    assert sorted(i.source_id for i in delta.deletions) == sorted([note, f"{note}/Body"])


def test_missed_window_is_a_full_resync(source: SalesforceSource) -> None:
    created = source.create(3)
    first = drain(source.backup, source.scope(), None)
    source.invalidate_cursor()
    again = drain(source.backup, source.scope(), first.cursor)
    assert again.reset
    assert sorted(hashlib.sha256(i.data).hexdigest() for i in again.items) == sorted(
        hashlib.sha256(d).hexdigest() for d in created)


def test_request_limit_exceeded_is_waited_out(source: SalesforceSource) -> None:
    source.create(2)
    source.throttle(3, 0.5)
    result = drain(source.backup, source.scope(), None)
    assert len(result.items) == 2
    stats = source.control.stats()
    assert len(stats["throttled"]) == 3 and source.throttle_obeyed()


def test_restore_writer_recreates_a_child_before_its_parent_and_relinks_it(source: SalesforceSource) -> None:
    """Items come in path order (Contact before Zone__c): the records to re-create are collected and created
    parents first at finish(); an existing child's lookup to a deleted parent is fixed too."""
    zone = source.record("Zone__c", {"Name": "North"})
    gone = source.record("Contact", {"LastName": "Gone", "Zone__c": zone})
    stays = source.record("Contact", {"LastName": "Stays", "Zone__c": zone})
    first = drain(source.backup, source.scope(), None)
    source.control.remove("salesforce", source.tenant, "", "Contact", gone)
    source.control.remove("salesforce", source.tenant, "", "Zone__c", zone)
    kind = registry.get("salesforce")
    assert kind.build_restore is not None
    writer = kind.build_restore(source.settings, source.secret, EGRESS)
    outcomes = []
    for item in sorted(first.items, key=lambda i: f"{i.folder}/{i.meta['name']}"):
        outcomes.append(writer.write("data:org", f"{item.folder}/{item.meta['name']}", item.kind, len(item.data),
                                     item.meta, lambda data=item.data: io.BytesIO(data), conflict="replace"))
    finished = writer.finish()
    report = writer.report()
    writer.close()
    assert outcomes == ["pending", "restored", "pending"]  # Gone to re-create, Stays relinked, Zone to re-create
    assert finished == {"restored": 2, "failed": []}
    assert set(report["recreated"]) == {gone, zone} and report["unresolved_lookups"] == []
    contacts = {row["content"]["LastName"]: row["content"] for row in source.control.items("salesforce", source.tenant,
                                                                                               "Contact")}
    new_zone = report["recreated"][zone]
    assert contacts["Gone"]["Zone__c"] == new_zone and contacts["Stays"]["Zone__c"] == new_zone
    assert contacts["Stays"]["Id"] == stays
    assert source.stored("Zone__c")[new_zone]["content"]["Name"] == "North"


CORPUS = Path("/work/shared/corpus/api/salesforce")


def test_emulator_answers_have_the_shapes_of_the_published_api(source: SalesforceSource) -> None:
    """Keys of describeGlobal, getUpdated, getDeleted, SaveResult and ErrorInfo as in the corpus (OpenAPI
    schemas and the restforce fixtures); the data paths the connector uses exist in the OpenAPI."""
    if not CORPUS.is_dir():
        pytest.skip("the API corpus is not available")
    oas = json.loads(lzma.open(CORPUS / "opensdks-salesforce-oas" / "salesforce.oas.json.xz").read())
    schemas = oas["components"]["schemas"]
    fixtures = CORPUS / "restforce-fixtures" / "sobject"
    session = source.backup.session
    account = source.record("Account", {"Name": "Shape"})
    source.record("Account", {"Name": "Other"})
    source.control.remove("salesforce", source.tenant, "", "Account", account)
    described = session.get("sobjects")
    assert set(described["sobjects"][0]) <= set(schemas["DescribeGlobalResult"]["properties"]["sobjects"]["items"][
        "properties"]) | {"urls"}
    window = {"start": stamp_now(-40 * 86400), "end": stamp_now(0)}  # older than the 30 days Salesforce keeps
    updated = session.get("sobjects/Account/updated/", {"start": stamp_now(-60), "end": stamp_now(60)})
    assert set(updated) == set(json.loads((fixtures / "get_updated_success_response.json").read_text()))
    deleted = session.get("sobjects/Account/deleted/", {"start": stamp_now(-60), "end": stamp_now(60)})
    assert set(deleted) == set(json.loads((fixtures / "get_deleted_success_response.json").read_text()))
    assert set(deleted["deletedRecords"][0]) == {"id", "deletedDate"}
    created = session.send("POST", "sobjects/Account", {"Name": "Saved"})
    assert set(created) <= set(schemas["SaveResult"]["properties"]) and created["success"] is True
    with pytest.raises(HttpStatusError) as too_old:
        session.get("sobjects/Account/updated/", window)
    assert too_old.value.status == 400
    assert set(too_old.value.body[0]) <= set(schemas["ErrorInfo"]["properties"])
    assert too_old.value.body[0]["errorCode"] == "INVALID_REPLICATION_DATE"
    for path in ("/sobjects/{sObject}/deleted", "/sobjects/{sObject}/describe", "/sobjects/{sObject}/{id}/{blobField}",
                 "/sobjects/Account/{id}", "/sobjects/ContentVersion/{id}"):
        assert path in oas["paths"], path


def stamp_now(offset_seconds: float) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def test_a_key_pasted_without_line_breaks_still_signs_in(source: SalesforceSource) -> None:
    kind = registry.get("salesforce")
    one_line = source.secret.replace("\n", "")
    key = kind.check_secret(one_line)
    assert key == source.secret.strip() + "\n"
    assert kind.build_backup is not None
    assert next(iter(kind.build_backup(source.settings, key, EGRESS, ("data",)).scopes())).id == source.scope().id
    with pytest.raises(KindError, match="must be the PEM private key"):
        kind.check_secret("not a key")
    with pytest.raises(KindError, match="encrypted"):
        kind.check_secret("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----")


def test_query_pages_are_followed_through_next_records_url(source: SalesforceSource) -> None:
    source.control.call("salesforce/page_size", size=2)
    try:
        created = source.create(5)
        result = drain(source.backup, source.scope(), None)
    finally:
        source.control.call("salesforce/page_size", size=2000)
    assert sorted(i.data for i in result.items) == sorted(created)
    paths = [r["path"] for r in source.control.stats()["requests"]]
    assert sum(1 for p in paths if re.fullmatch(r"/services/data/v\d+\.\d/query/[\w]+-\d+", p)) >= 2


def test_file_download_streams_and_waits_out_a_request_limit(source: SalesforceSource) -> None:
    data = bytes(range(256)) * 9000  # > one 1 MiB piece
    version = source.record("ContentVersion", {"Title": "big.bin", "PathOnClient": "big.bin",
                                               "VersionData": base64.b64encode(data).decode()})
    first = drain(source.backup, source.scope(), None)
    blob = next(i for i in first.items if i.source_id == f"{version}/VersionData")
    assert blob.stream is not None
    pieces = list(blob.stream())
    assert b"".join(pieces) == data and len(pieces) == 3
    source.throttle(1, 0.3)  # the next request (the download) is refused once
    assert b"".join(blob.stream()) == data
    assert source.throttle_obeyed()


def test_a_change_in_the_same_millisecond_as_the_window_end_is_not_lost(source: SalesforceSource) -> None:
    """The org's clock stands still: a window ends at that millisecond, then a record is changed in the same
    millisecond (its SystemModstamp equals the latestDateCovered just answered). The next run still finds it,
    once: windows overlap and what the overlap delivered already is left out."""
    account = source.record("Account", {"Name": "Boundary"})
    first = drain(source.backup, source.scope(), None)
    frozen = source.control.call("salesforce/configure", clock="freeze")["frozen"]
    try:
        quiet = drain(source.backup, source.scope(), first.cursor)
        assert quiet.items == [] and quiet.cursor is not None and quiet.cursor["since"] == frozen
        source.control.seed("salesforce", source.tenant, "", "Account", account, json.dumps({"Name": "Edge"}).encode())
        assert source.stored("Account")[account]["modified"] == frozen
    finally:
        source.control.call("salesforce/configure", clock="run")
    later = drain(source.backup, source.scope(), quiet.cursor)
    assert [json.loads(i.data)["Name"] for i in later.items] == ["Edge"]
    again = drain(source.backup, source.scope(), later.cursor)
    assert again.items == [] and again.deletions == [] and not again.reset


def test_the_cursor_keeps_only_the_stamps_the_next_window_overlaps(source: SalesforceSource) -> None:
    """A full read keeps the SystemModstamp of records inside the next window's overlap only, so the cursor
    (and the memory of a run) of a large org stays small; with no overlap nothing is kept."""
    ids = [source.record("Account", {"Name": f"Kept {n}"}) for n in range(3)]
    kept = drain(source.backup, source.scope(), None).cursor
    assert kept is not None and sorted(kept["seen"]) == sorted(ids)
    narrow = DataService(source.backup.session, overlap_seconds=0.0)
    cursor = drain(narrow, source.scope(), None).cursor  # type: ignore[arg-type]
    assert cursor is not None and cursor["seen"] == {} and cursor["gone"] == {}
    seen = Seen({}, timedelta(seconds=60))  # while a full read runs, old records are not held either
    assert seen.record("001000000000009AAA", "2020-01-02T03:04:05.000+0000") is True and seen.records == {}
