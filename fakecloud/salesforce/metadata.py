"""A small Metadata API (SOAP) surface of the Salesforce emulator: ``POST /services/Soap/m/<version>``.

The envelope carries the access token in ``SessionHeader/sessionId`` (namespace
``http://soap.sforce.com/2006/04/metadata``); a missing or unknown one is a SOAP fault
``sf:INVALID_SESSION_ID`` (HTTP 500), as is an operation the emulator does not have. Operations:

* ``describeMetadata`` → ``metadataObjects`` (``xmlName``, ``directoryName``, ``suffix``, ``metaFile``,
  ``inFolder``, ``childXmlNames``) of the types below;
* ``listMetadata`` (at most three ``queries`` of ``type``) → one ``FileProperties`` per component;
* ``retrieve`` (``retrieveRequest``: ``apiVersion``, ``singlePackage``, ``unpackaged`` with ``types``
  of ``members``/``name``; ``*`` means every component of the type, for CustomObject every custom
  object) → an ``AsyncResult`` (``done`` false, ``id``, ``state`` Queued);
* ``checkRetrieveStatus`` (``asyncProcessId``, ``includeZip``) → ``InProgress`` for
  ``store.retrieve_polls`` polls, then ``Succeeded`` with ``fileProperties`` and the base64 ``zipFile``
  (``package.xml`` as asked plus one file per component; under ``unpackaged/`` unless ``singlePackage``).

The org's configuration: ``objects/<Name>.object`` for every object of the org (its custom fields,
derived from the emulator's store) and the files seeded with ``salesforce/configure {"metadata":
{path: text}}`` (e.g. ``classes/Hello.cls`` with its ``-meta.xml``).
"""

from __future__ import annotations

import base64
import io
import itertools
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from fakecloud.salesforce.store import Org, SalesforceStore, SObject, iso
from fakecloud.web import Request, Response, Router

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD = "http://soap.sforce.com/2006/04/metadata"
# directoryName -> (xmlName, suffix, metaFile)
TYPES = {"objects": ("CustomObject", "object", False), "classes": ("ApexClass", "cls", True),
         "triggers": ("ApexTrigger", "trigger", True), "pages": ("ApexPage", "page", True),
         "layouts": ("Layout", "layout", False), "flows": ("Flow", "flow", False),
         "profiles": ("Profile", "profile", False), "permissionsets": ("PermissionSet", "permissionset", False),
         "labels": ("CustomLabels", "labels", False)}
FIELD_TYPES = {"string": "Text", "double": "Number", "currency": "Currency", "percent": "Percent", "int": "Number",
               "boolean": "Checkbox", "reference": "Lookup", "date": "Date", "datetime": "DateTime",
               "email": "Email", "phone": "Phone", "url": "Url", "textarea": "LongTextArea", "picklist": "Picklist"}
_ids = itertools.count(1)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def envelope(body: str, namespaces: str = f'xmlns="{MD}"') -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAPENV}" {namespaces} '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{body}</soapenv:Body>'
            f'</soapenv:Envelope>').encode()


def fault(code: str, message: str) -> Response:
    """A SOAP fault: unqualified ``faultcode`` (``sf:CODE``) and ``faultstring``, HTTP 500."""
    body = (f"<soapenv:Fault><faultcode>sf:{code}</faultcode>"
            f"<faultstring>{escape(code)}: {escape(message)}</faultstring></soapenv:Fault>")
    return Response(500, envelope(body, f'xmlns:sf="{MD}"'), {"Content-Type": "text/xml; charset=utf-8"})


def answer(operation: str, results: list[str]) -> Response:
    inner = "".join(f"<result>{r}</result>" for r in results)
    return Response(200, envelope(f"<{operation}Response>{inner}</{operation}Response>"),
                    {"Content-Type": "text/xml; charset=utf-8"})


def tag(name: str, value: Any) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def object_xml(obj: SObject) -> bytes:
    """The CustomObject file of an object: label and its custom fields (sorted)."""
    parts = []
    for name in sorted(f for f, spec in obj.fields.items() if spec.get("custom") and spec.get("type") != "base64"):
        spec = obj.fields[name]
        kind = FIELD_TYPES.get(str(spec.get("type")), "Text")
        extra = "".join(tag("referenceTo", t) for t in spec.get("referenceTo") or [])
        if spec.get("relationshipName") and kind == "Lookup":
            extra += tag("relationshipName", spec["relationshipName"])
        parts.append(f"    <fields>\n        {tag('fullName', name)}\n        {tag('label', spec.get('label') or name)}"
                     f"\n        {extra + chr(10) + '        ' if extra else ''}{tag('type', kind)}\n    </fields>\n")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">\n{"".join(parts)}'
            f"    {tag('label', obj.name)}\n</CustomObject>\n").encode()


def package_xml(types: list[tuple[str, list[str]]], version: str) -> bytes:
    body = "".join("    <types>\n" + "".join(f"        {tag('members', m)}\n" for m in members)
                   + f"        {tag('name', name)}\n    </types>\n" for name, members in types)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="{MD}">\n{body}'
            f"    {tag('version', version)}\n</Package>\n").encode()


def org_files(org: Org) -> dict[str, bytes]:
    """Every configuration file of the org: path in a retrieve zip -> bytes."""
    files = {f"objects/{obj.name}.object": object_xml(obj) for obj in org.objects.values()}
    files.update(org.metadata)
    return files


def component(path: str) -> tuple[str, str] | None:
    """(type, fullName) of a file, None for a file of no known type."""
    directory, _, name = path.partition("/")
    known = TYPES.get(directory)
    if known is None or not name:
        return None
    base = name.removesuffix("-meta.xml")
    return known[0], base.removesuffix("." + known[1])


def components(org: Org) -> dict[str, dict[str, list[str]]]:
    """type -> fullName -> its file paths."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(org_files(org)):
        named = component(path)
        if named is not None:
            found.setdefault(named[0], {}).setdefault(named[1], []).append(path)
    return found


@dataclass
class RetrieveJob:
    id: str
    org_id: str
    files: dict[str, bytes]
    properties: list[dict[str, Any]]
    polls: int = 0


class MetadataService:
    def __init__(self, store: SalesforceStore) -> None:
        self.store = store
        self.jobs: dict[str, RetrieveJob] = {}

    def register(self, router: Router) -> None:
        router.add("POST", r"/services/Soap/m/(?P<version>\d+\.\d)/?", self.soap)

    def soap(self, request: Request) -> Response:
        try:
            root = etree.fromstring(request.body, _parser())
        except etree.XMLSyntaxError:
            return fault("INVALID_XML", "the request is not a SOAP envelope")
        token = root.findtext(f"{{{SOAPENV}}}Header/{{{MD}}}SessionHeader/{{{MD}}}sessionId")
        tenant = self.store.tenant_of((token or "").strip())
        if tenant is None:
            return fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
        body = root.find(f"{{{SOAPENV}}}Body")
        call = body[0] if body is not None and len(body) else None
        if call is None or etree.QName(call).namespace != MD:
            return fault("INVALID_OPERATION", "no Metadata API operation in the SOAP body")
        operation = etree.QName(call).localname
        handler = {"describeMetadata": self.describe, "listMetadata": self.list, "retrieve": self.retrieve,
                   "checkRetrieveStatus": self.check_status}.get(operation)
        if handler is None:
            return fault("INVALID_OPERATION", f"the emulator has no operation {operation}")
        with self.store.lock:
            return handler(call, self.store.org(tenant), request.params["version"])

    def describe(self, call: Any, org: Org, version: str) -> Response:
        objects = "".join(
            "<metadataObjects>" + (tag("childXmlNames", "CustomField") if xml_name == "CustomObject" else "")
            + tag("directoryName", directory) + tag("inFolder", False) + tag("metaFile", meta) + tag("suffix", suffix)
            + tag("xmlName", xml_name) + "</metadataObjects>"
            for directory, (xml_name, suffix, meta) in TYPES.items())
        return answer("describeMetadata", [objects + "<organizationNamespace></organizationNamespace>"
                                           + tag("partialSaveAllowed", True) + tag("testRequired", False)])

    def _properties(self, org: Org, xml_name: str, full_name: str, path: str) -> dict[str, Any]:
        stamp = iso(self.store.now())
        return {"createdById": "005000000000001AAA", "createdByName": "Integration User", "createdDate": stamp,
                "fileName": path, "fullName": full_name, "id": f"01p{zlib.crc32((org.org_id + path).encode()):012d}AAA",
                "lastModifiedById": "005000000000001AAA", "lastModifiedByName": "Integration User",
                "lastModifiedDate": stamp, "manageableState": "unmanaged", "type": xml_name}

    @staticmethod
    def _xml(properties: dict[str, Any]) -> str:
        return "".join(tag(k, v) for k, v in properties.items())

    def list(self, call: Any, org: Org, version: str) -> Response:
        queries = call.findall(f"{{{MD}}}queries")
        if len(queries) > 3:
            return fault("INVALID_TYPE", "listMetadata takes at most 3 queries per call")
        found = components(org)
        results = []
        for query in queries:
            xml_name = (query.findtext(f"{{{MD}}}type") or "").strip()
            for full_name, paths in found.get(xml_name, {}).items():
                main = next((p for p in paths if not p.endswith("-meta.xml")), paths[0])
                results.append(self._xml(self._properties(org, xml_name, full_name, main)))
        return answer("listMetadata", results)

    def retrieve(self, call: Any, org: Org, version: str) -> Response:
        request = call.find(f"{{{MD}}}retrieveRequest")
        unpackaged = request.find(f"{{{MD}}}unpackaged") if request is not None else None
        if unpackaged is None:
            return fault("INVALID_CROSS_REFERENCE_KEY", "the emulator retrieves unpackaged components only")
        single = (request.findtext(f"{{{MD}}}singlePackage") or "false").strip() == "true"
        asked: list[tuple[str, list[str]]] = []
        for types in unpackaged.findall(f"{{{MD}}}types"):
            name = (types.findtext(f"{{{MD}}}name") or "").strip()
            asked.append((name, [(m.text or "").strip() for m in types.findall(f"{{{MD}}}members")]))
        api_version = (unpackaged.findtext(f"{{{MD}}}version") or request.findtext(f"{{{MD}}}apiVersion")
                       or version).strip()
        everything, found = org_files(org), components(org)
        files = {"package.xml": package_xml(asked, api_version)}
        properties = [self._properties(org, "Package", "package.xml", "package.xml")]
        for xml_name, members in asked:
            available = found.get(xml_name, {})
            chosen = [m for m in available if m in members or ("*" in members and (
                xml_name != "CustomObject" or m.endswith("__c")))]
            for full_name in chosen:
                for path in available[full_name]:
                    files[path] = everything[path]
                    if not path.endswith("-meta.xml"):
                        properties.append(self._properties(org, xml_name, full_name, path))
        prefix = "" if single else "unpackaged/"
        job = RetrieveJob(f"09S{next(_ids):012d}AAA", org.org_id, {prefix + p: b for p, b in files.items()},
                          [{**p, "fileName": prefix + p["fileName"]} for p in properties])
        self.jobs[job.id] = job
        return answer("retrieve", [tag("done", False) + tag("id", job.id) + tag("state", "Queued")])

    def check_status(self, call: Any, org: Org, version: str) -> Response:
        job = self.jobs.get((call.findtext(f"{{{MD}}}asyncProcessId") or "").strip())
        if job is None or job.org_id != org.org_id:
            return fault("INVALID_ID_FIELD", "Retrieve result has been deleted.")
        job.polls += 1
        if job.polls <= self.store.retrieve_polls:
            return answer("checkRetrieveStatus", [tag("done", False) + tag("id", job.id) + tag("status", "InProgress")
                                                  + tag("success", False)])
        include = (call.findtext(f"{{{MD}}}includeZip") or "true").strip() != "false"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(job.files):
                archive.writestr(path, job.files[path])
        props = "".join(f"<fileProperties>{self._xml(p)}</fileProperties>" for p in job.properties)
        zipped = tag("zipFile", base64.b64encode(buffer.getvalue()).decode()) if include else ""
        return answer("checkRetrieveStatus", [tag("done", True) + props + tag("id", job.id)
                                              + tag("status", "Succeeded") + tag("success", True) + zipped])
