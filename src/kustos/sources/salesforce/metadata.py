"""The ``metadata`` backup service of a Salesforce org: its configuration through Metadata API retrieve.

One scope, the org (``metadata:<org id>``). A run asks ``describeMetadata`` for the org's component
types and ``listMetadata`` for their components (three types a call), then ``retrieve``s them unpackaged
(``package.xml``: ``*`` for every type with components, CustomObject by name, since ``*`` leaves out
standard objects; types kept in folders, such as reports, are not retrieved), polls
``checkRetrieveStatus`` until it is done and reads the zip (base64). Every file of the zip is one item
at ``metadata/<path in the zip>`` (``metadata/objects/Account.object``, ``metadata/package.xml``), its
SHA-256 as eTag; the cursor keeps each path's SHA-256, so a later run yields only the files that changed
and deletion markers for those that are gone. Metadata is backed up for download only: the restore
writer refuses to write it into an org.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from lxml import etree

from kustos.sources.base import AuthenticationFailed, Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.session import API_VERSION, SalesforceSession

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD = "http://soap.sforce.com/2006/04/metadata"
FOLDER = "metadata"
LIST_BATCH = 3  # listMetadata takes at most three queries a call
MAX_FILES = 10_000  # a retrieve returns at most 10,000 files
BATCH = 200


class MetadataError(ConnectorError):
    """The Metadata API refused a call or a retrieve failed."""


def _q(name: str) -> str:
    return f"{{{MD}}}{name}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def package_types(members: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """The ``types`` of the package to retrieve: ``*`` for every type, CustomObject by name."""
    return [(name, sorted(found) if name == "CustomObject" else ["*"])
            for name, found in sorted(members.items()) if found]


def unpackaged_xml(types: list[tuple[str, list[str]]]) -> str:
    return "".join("<types>" + "".join(f"<members>{escape(m)}</members>" for m in members)
                   + f"<name>{escape(name)}</name></types>" for name, members in types)


class MetadataService:
    name: ClassVar[str] = "metadata"
    scope_kind: ClassVar[str] = "org"

    def __init__(self, session: SalesforceSession, *, poll_seconds: float = 2.0, timeout: float = 3600.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self.sleep = sleep

    # -- SOAP ---------------------------------------------------------------------------------
    def call(self, operation: str, inner: str) -> Any:
        """One Metadata API call; the ``result`` elements of its response."""
        refreshed = False
        while True:
            envelope = (f'<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}">'
                        f'<soapenv:Header><SessionHeader xmlns="{MD}"><sessionId>'
                        f"{escape(self.session.access_token(force_refresh=refreshed))}</sessionId></SessionHeader>"
                        f'</soapenv:Header><soapenv:Body><{operation} xmlns="{MD}">{inner}</{operation}>'
                        "</soapenv:Body></soapenv:Envelope>")
            response = self.session.soap_http.request(
                "POST", self.session.url(f"/services/Soap/m/{API_VERSION}"), auth=False, content=envelope.encode(),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
            if response.status_code not in (200, 500):
                raise self.session.soap_http.on_error(response)
            try:
                root = etree.fromstring(response.content, _parser())
            except etree.XMLSyntaxError as exc:
                raise MetadataError(f"the Metadata API answered {operation} with no SOAP envelope "
                                    f"(HTTP {response.status_code})") from exc
            found = root.find(f"{{{SOAPENV}}}Body/{{{SOAPENV}}}Fault")
            if found is None:
                return root.findall(f"{{{SOAPENV}}}Body/{_q(operation + 'Response')}/{_q('result')}")
            code = (found.findtext("faultcode") or "").rpartition(":")[2]
            message = (found.findtext("faultstring") or "").strip()
            if code == "INVALID_SESSION_ID" and not refreshed:
                refreshed = True  # an expired session: sign in again once
                continue
            if code == "INVALID_SESSION_ID":
                raise AuthenticationFailed(f"Salesforce refused the Metadata API session ({code})")
            raise MetadataError(f"the Metadata API refused {operation} ({code}): {message}")

    def types(self) -> list[str]:
        results = self.call("describeMetadata", f"<asOfVersion>{API_VERSION}</asOfVersion>")
        if not results:
            return []
        return sorted({(o.findtext(_q("xmlName")) or "").strip() for o in results[0].findall(_q("metadataObjects"))
                       if (o.findtext(_q("inFolder")) or "false").strip() != "true"} - {""})

    def components(self, types: list[str]) -> dict[str, list[str]]:
        """type -> the fullNames of its components."""
        found: dict[str, list[str]] = {name: [] for name in types}
        for offset in range(0, len(types), LIST_BATCH):
            queries = "".join(f"<queries><type>{escape(t)}</type></queries>" for t in types[offset:offset + LIST_BATCH])
            for row in self.call("listMetadata", f"{queries}<asOfVersion>{API_VERSION}</asOfVersion>"):
                kind, full_name = (row.findtext(_q("type")) or "").strip(), (row.findtext(_q("fullName")) or "").strip()
                if kind in found and full_name:
                    found[kind].append(full_name)
        return found

    def retrieve(self, types: list[tuple[str, list[str]]]) -> dict[str, bytes]:
        """The files of an unpackaged retrieve of ``types``: path in the zip -> bytes."""
        request = (f"<retrieveRequest><apiVersion>{API_VERSION}</apiVersion><singlePackage>true</singlePackage>"
                   f"<unpackaged>{unpackaged_xml(types)}<version>{API_VERSION}</version></unpackaged>"
                   "</retrieveRequest>")
        started = self.call("retrieve", request)
        job_id = (started[0].findtext(_q("id")) or "").strip() if started else ""
        if not job_id:
            raise MetadataError("the Metadata API answered retrieve without a job id")
        deadline = time.monotonic() + self.timeout
        while True:
            status = self.call("checkRetrieveStatus", f"<asyncProcessId>{escape(job_id)}</asyncProcessId>"
                                                      "<includeZip>true</includeZip>")
            result = status[0] if status else None
            if result is not None and (result.findtext(_q("done")) or "").strip() == "true":
                break
            if time.monotonic() > deadline:
                raise MetadataError(f"the Metadata API retrieve {job_id} did not finish within {self.timeout:.0f} s")
            self.sleep(self.poll_seconds)
        state = (result.findtext(_q("status")) or "").strip()
        if state != "Succeeded":
            reason = (result.findtext(_q("errorMessage")) or "no reason given").strip()
            raise MetadataError(f"the Metadata API retrieve {job_id} ended {state or 'without a status'}: {reason}")
        data = base64.b64decode(result.findtext(_q("zipFile")) or "")
        files: dict[str, bytes] = {}
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist()[:MAX_FILES]:
                if info.is_dir():
                    continue
                path = info.filename.removeprefix("unpackaged/")
                if ".." in path.split("/") or path.startswith("/"):
                    raise MetadataError(f"the retrieve zip holds an unsafe path: {info.filename!r}")
                files[path] = archive.read(info)
        return files

    # -- the backup service --------------------------------------------------------------------
    def scopes(self) -> Iterable[Scope]:
        self.session.url("")  # signs in: the org id comes with the token
        return [Scope(id=self.session.org_id or "org", kind=self.scope_kind, name=self.session.username)]

    def check(self, scope: Scope) -> None:
        try:
            self.types()
        except HttpStatusError as exc:
            raise MetadataError(f"the Metadata API is not available: {exc}") from exc

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        files = self.retrieve(package_types(self.components(self.types())))
        before: dict[str, str] = dict((cursor or {}).get("files") or {})
        now = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
        items = [file_item(path, files[path], now[path]) for path in sorted(files) if before.get(path) != now[path]]
        items += [gone_item(path) for path in sorted(set(before) - set(now))]
        for offset in range(0, len(items), BATCH):
            yield Batch(items[offset:offset + BATCH], None)
        yield Batch([], {"files": now})


def _place(path: str) -> tuple[str, str]:
    folder, _, name = f"{FOLDER}/{path}".rpartition("/")
    return folder, name


def file_item(path: str, data: bytes, sha: str) -> Item:
    folder, name = _place(path)
    return Item(source_id=path, data=data, folder=folder, kind="file",
                meta={"name": name, "eTag": sha, "sha256": sha, "metadata": True, "path": path})


def gone_item(path: str) -> Item:
    folder, name = _place(path)
    return Item(source_id=path, deleted=True, folder=folder, kind="file", meta={"name": name, "path": path})
