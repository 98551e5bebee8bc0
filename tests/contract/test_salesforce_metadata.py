"""Salesforce backup service ``metadata``: the org's configuration through Metadata API retrieve (SOAP).

Against fakecloud as a real process: describeMetadata → listMetadata → retrieve (unpackaged) →
checkRetrieveStatus until done → one item per file of the zip (``metadata/<path>``), only changed files
on later runs, deletion markers for removed ones; the shared contract suite on Layout files; SOAP
faults; ``REQUEST_LIMIT_EXCEEDED`` waited out; a restore refuses metadata (download only).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from fakecloud.salesforce.metadata import package_xml
from fakecloud.testing import FakeCloudProcess, running_fakecloud, throttle_obeyed
from kustos.sources.base import Connector, Item, Scope
from kustos.sources.kinds import registry
from kustos.sources.salesforce.connector import SalesforceBackupConnector, session_for
from kustos.sources.salesforce.metadata import MetadataError, MetadataService
from kustos.sources.salesforce.session import API_VERSION
from tests.contract.connector_contract import ConnectorContract, drain
from tests.contract.test_salesforce_backup import EGRESS

_counter = itertools.count()
SOAP = f"/services/Soap/m/{API_VERSION}"


@pytest.fixture(scope="module")
def fakecloud() -> Iterator[FakeCloudProcess]:
    with running_fakecloud() as process:
        yield process


class MetadataSource:
    """A fresh org (no objects); the contract creates and deletes page layouts (one file each)."""

    def __init__(self, cloud: FakeCloudProcess) -> None:
        self.cloud, self.control = cloud, cloud.control
        self.tenant = f"meta{next(_counter)}.example.com"
        self.settings = self.control.credentials("salesforce", self.tenant)
        self.secret = self.settings.pop("private_key")
        self.backup = self.build()
        self.org_scope = next(iter(self.backup.scopes()))
        self.package_delivered = False

    def build(self) -> SalesforceBackupConnector:
        session = session_for(self.settings, self.secret, EGRESS)
        return SalesforceBackupConnector(session, ("metadata",), {"metadata": {"poll_seconds": 0.0}})

    def connector(self) -> Connector:
        return self.build()

    def scope(self) -> Scope:
        return self.org_scope

    def files(self, files: dict[str, str | None]) -> None:
        self.control.call("salesforce/configure", tenant=self.tenant, metadata=files)

    def create(self, count: int) -> list[bytes]:
        made = {f"layouts/Account-Layout {next(_counter)}.layout":
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Layout xmlns="http://soap.sforce.com/2006/04/metadata">'
                f"<layoutSections><label>Section {n}</label></layoutSections></Layout>\n" for n in range(count)}
        self.files(dict(made))
        expected = [text.encode() for text in made.values()]
        if not self.package_delivered:  # the first retrieve also brings package.xml (Layout: *)
            self.package_delivered = True
            expected.append(package_xml([("Layout", ["*"])], API_VERSION))
        return expected

    def delete(self, item: Item) -> None:
        self.files({str(item.meta["path"]): None})

    def invalidate_cursor(self) -> None:  # pragma: no cover - supports_reset is off
        raise NotImplementedError

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle(SOAP, requests, retry_after, status=403)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())


class TestSalesforceMetadataContract(ConnectorContract):
    supports_reset = False  # a retrieve has no server-side cursor to invalidate

    @pytest.fixture
    def contract_source(self, fakecloud: FakeCloudProcess) -> MetadataSource:
        fakecloud.control.call("faults/clear")
        return MetadataSource(fakecloud)


@pytest.fixture
def source(fakecloud: FakeCloudProcess) -> MetadataSource:
    fakecloud.control.call("faults/clear")
    return MetadataSource(fakecloud)


def record(source: MetadataSource, object_name: str, values: dict[str, Any]) -> str:
    return source.control.seed("salesforce", source.tenant, "", object_name, "", json.dumps(values).encode())["id"]


def by_path(items: list[Item]) -> dict[str, Item]:
    return {f"{i.folder}/{i.meta['name']}": i for i in items}


def soap_calls(source: MetadataSource) -> list[str]:
    return [r["path"] for r in source.control.stats()["requests"] if r["path"] == SOAP]


def test_the_org_configuration_is_one_item_per_file_of_the_retrieve(source: MetadataSource) -> None:
    account = record(source, "Account", {"Name": "Acme", "Region__c": "EMEA"})
    record(source, "Invoice__c", {"Name": "INV-1", "Amount__c": 12.5, "Account__c": account})
    source.files({"classes/Hello.cls": "public class Hello {}",
                  "classes/Hello.cls-meta.xml": "<ApexClass><apiVersion>59.0</apiVersion></ApexClass>"})
    source.control.call("salesforce/configure", retrieve_polls=2)
    try:
        first = drain(source.backup, source.scope(), None)
    finally:
        source.control.call("salesforce/configure", retrieve_polls=1)
    items = by_path(first.items)
    assert sorted(items) == ["metadata/classes/Hello.cls", "metadata/classes/Hello.cls-meta.xml",
                             "metadata/objects/Account.object", "metadata/objects/Invoice__c.object",
                             "metadata/package.xml"]
    assert source.scope().id.startswith("metadata:00D") and not first.deletions
    invoice = items["metadata/objects/Invoice__c.object"].data.decode()
    assert "<fullName>Amount__c</fullName>" in invoice and "<referenceTo>Account</referenceTo>" in invoice
    assert "<fullName>Region__c</fullName>" in items["metadata/objects/Account.object"].data.decode()
    package = items["metadata/package.xml"].data.decode()
    assert "<members>Account</members>" in package and "<members>Invoice__c</members>" in package
    assert "<members>*</members>\n        <name>ApexClass</name>" in package
    assert items["metadata/classes/Hello.cls"].data == b"public class Hello {}"
    assert items["metadata/classes/Hello.cls"].meta["eTag"] == hashlib.sha256(
        b"public class Hello {}").hexdigest()
    # describeMetadata, listMetadata (9 types, three a call), retrieve, checkRetrieveStatus twice InProgress + done
    assert len(soap_calls(source)) == 1 + 3 + 1 + 3


def test_a_later_run_brings_only_changed_and_removed_files(source: MetadataSource) -> None:
    account = record(source, "Account", {"Name": "Acme"})
    source.files({"classes/Hello.cls": "public class Hello {}",
                  "classes/Hello.cls-meta.xml": "<ApexClass/>", "classes/Stay.cls": "public class Stay {}",
                  "classes/Stay.cls-meta.xml": "<ApexClass/>"})
    first = drain(source.backup, source.scope(), None)
    quiet = drain(source.backup, source.scope(), first.cursor)
    assert quiet.items == [] and quiet.deletions == []
    source.control.seed("salesforce", source.tenant, "", "Account", account, json.dumps({"Tier__c": "Gold"}).encode())
    source.files({"classes/Hello.cls": None, "classes/Hello.cls-meta.xml": None})
    later = drain(source.backup, source.scope(), quiet.cursor)
    assert sorted(by_path(later.items)) == ["metadata/objects/Account.object"]
    assert "<fullName>Tier__c</fullName>" in later.items[0].data.decode()
    assert sorted(i.source_id for i in later.deletions) == ["classes/Hello.cls", "classes/Hello.cls-meta.xml"]
    assert all(i.folder == "metadata/classes" for i in later.deletions)


def test_soap_faults_are_clear_errors(source: MetadataSource) -> None:
    session = source.backup.session
    envelope = ('<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/'
                'soap/envelope/"><soapenv:Header><SessionHeader xmlns="http://soap.sforce.com/2006/04/metadata">'
                '<sessionId>not-a-session</sessionId></SessionHeader></soapenv:Header><soapenv:Body><describeMetadata '
                'xmlns="http://soap.sforce.com/2006/04/metadata"><asOfVersion>59.0</asOfVersion></describeMetadata>'
                "</soapenv:Body></soapenv:Envelope>")
    refused = session.soap_http.request("POST", session.url(SOAP), auth=False, content=envelope.encode(),
                                   headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    assert refused.status_code == 500
    assert b"<faultcode>sf:INVALID_SESSION_ID</faultcode>" in refused.content
    service = MetadataService(session, poll_seconds=0.0)
    with pytest.raises(MetadataError, match=r"refused deploy \(INVALID_OPERATION\)"):
        service.call("deploy", "<ZipFile></ZipFile>")


def test_request_limit_exceeded_on_the_metadata_api_is_waited_out(source: MetadataSource) -> None:
    source.files({"classes/A.cls": "public class A {}"})
    source.throttle(2, 0.4)
    result = drain(source.backup, source.scope(), None)
    assert "metadata/classes/A.cls" in by_path(result.items) and source.throttle_obeyed()


def test_metadata_is_download_only_on_restore(source: MetadataSource) -> None:
    source.files({"classes/A.cls": "public class A {}"})
    item = by_path(drain(source.backup, source.scope(), None).items)["metadata/classes/A.cls"]
    kind = registry.get("salesforce")
    assert kind.backup_services == ("data", "metadata") and kind.build_restore is not None
    writer = kind.build_restore(source.settings, source.secret, EGRESS)
    try:
        with pytest.raises(Exception, match="download only") as refused:
            writer.write(source.scope().id, "metadata/classes/A.cls", item.kind, len(item.data), item.meta,
                         lambda: io.BytesIO(item.data), conflict="replace")
    finally:
        writer.close()
    assert getattr(refused.value, "download_only", False) is True
