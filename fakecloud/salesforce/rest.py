"""The Salesforce REST endpoints of the emulator (paths and bodies as in the published OpenAPI)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fakecloud.salesforce import rules
from fakecloud.salesforce.bulk import BulkService
from fakecloud.salesforce.metadata import MetadataService
from fakecloud.salesforce.store import BLOB_FIELDS, Org, QueryError, SalesforceStore, iso, parse_iso
from fakecloud.web import Request, Response, Router, json_response

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DATA = r"/services/data/v(?P<version>\d+\.\d)"


def sf_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return json_response(status, [{"message": message, "errorCode": code}], headers)


def limit_exceeded(retry_after: float) -> Response:
    return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.",
                    {"Retry-After": f"{retry_after:g}"})


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class SalesforceService:
    def __init__(self, store: SalesforceStore) -> None:
        self.store = store

    def register(self, router: Router) -> None:
        router.add("POST", r"/services/oauth2/token", self.token)
        router.add("GET", DATA + r"/sobjects/?", self._auth(self.describe_global))
        router.add("GET", DATA + r"/sobjects/(?P<name>\w+)/describe/?", self._auth(self.describe))
        router.add("GET", DATA + r"/sobjects/(?P<name>\w+)/updated/?", self._auth(self.updated))
        router.add("GET", DATA + r"/sobjects/(?P<name>\w+)/deleted/?", self._auth(self.deleted))
        router.add("GET", DATA + r"/sobjects/(?P<name>\w+)/(?P<id>\w{15,18})/(?P<field>VersionData|Body)",
                   self._auth(self.blob))
        router.add("GET", DATA + r"/sobjects/(?P<name>\w+)/(?P<id>\w{15,18})", self._auth(self.get_record))
        router.add("PATCH", DATA + r"/sobjects/(?P<name>\w+)/(?P<id>\w{15,18})", self._auth(self.patch_record))
        router.add("POST", DATA + r"/sobjects/(?P<name>\w+)/?", self._auth(self.create_record))
        router.add("GET", DATA + r"/query/?", self._auth(self.query))
        router.add("GET", DATA + r"/query/(?P<locator>[\w-]+)", self._auth(self.query_more))
        BulkService(self.store, self._auth).register(router)
        MetadataService(self.store).register(router)

    # -- OAuth 2.0 JWT bearer flow -------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != JWT_BEARER:
            return json_response(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        try:
            header_b64, payload_b64, signature_b64 = form.get("assertion", "").split(".")
            header: dict[str, Any] = json.loads(_b64(header_b64))
            claims: dict[str, Any] = json.loads(_b64(payload_b64))
            signature = _b64(signature_b64)
        except ValueError:
            return json_response(400, {"error": "invalid_grant", "error_description": "invalid assertion"})
        with self.store.lock:
            found = [(tenant, org.apps[str(claims.get("iss"))]) for tenant, org in self.store.orgs.items()
                     if str(claims.get("iss")) in org.apps]
        if not found or header.get("alg") != "RS256":
            return json_response(400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})
        tenant, app = found[0]
        key = x509.load_pem_x509_certificate(app.certificate_pem).public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            return json_response(400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return json_response(400, {"error": "invalid_grant", "error_description": "invalid assertion"})
        if float(claims.get("exp", 0)) < time.time():
            return json_response(400, {"error": "invalid_grant", "error_description": "expired authorization code"})
        if str(claims.get("sub", "")).lower() != app.username.lower():
            return json_response(400, {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"})
        with self.store.lock:
            token = self.store.issue_token(tenant)
            org = self.store.org(tenant)
        base = request.base_url
        return json_response(200, {"access_token": token, "scope": "api", "instance_url": base,
                                   "id": f"{base}/id/{org.org_id}/005000000000001AAA", "token_type": "Bearer",
                                   "issued_at": str(int(time.time() * 1000))})

    def _auth(self, handler: Any) -> Any:
        def wrapped(request: Request) -> Response:
            tenant = self.store.tenant_of(request.bearer())
            if tenant is None:
                return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            with self.store.lock:
                return handler(request, self.store.org(tenant))
        return wrapped

    # -- metadata --------------------------------------------------------------------------------
    def describe_global(self, request: Request, org: Org) -> Response:
        version = request.params["version"]
        sobjects = [{"name": obj.name, "label": obj.name, "keyPrefix": obj.prefix, "custom": obj.custom,
                     "queryable": True, "replicateable": True, "createable": True, "updateable": True,
                     "urls": {"sobject": f"/services/data/v{version}/sobjects/{obj.name}",
                              "describe": f"/services/data/v{version}/sobjects/{obj.name}/describe"}}
                    for obj in org.objects.values()]
        return json_response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def describe(self, request: Request, org: Org) -> Response:
        obj = org.objects.get(request.params["name"])
        if obj is None:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(200, {"name": obj.name, "label": obj.name, "keyPrefix": obj.prefix, "custom": obj.custom,
                                   "queryable": True, "replicateable": True, "fields": list(obj.fields.values())})

    # -- getUpdated / getDeleted ----------------------------------------------------------------
    def _window(self, request: Request, org: Org) -> tuple[Any, Any] | Response:
        try:
            start, end = parse_iso(request.arg("start") or ""), parse_iso(request.arg("end") or "")
        except ValueError:
            return sf_error(400, "MALFORMED_QUERY", "start and end must be valid dateTime values")
        if request.params["name"] not in org.objects:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if end < start:
            return sf_error(400, "INVALID_REPLICATION_DATE", "end date cannot be before start date")
        if start < self.store.earliest_available(org):
            return sf_error(400, "INVALID_REPLICATION_DATE", "startDate before org replication enabled date")
        return start, min(end, self.store.now())

    def updated(self, request: Request, org: Org) -> Response:
        window = self._window(request, org)
        if isinstance(window, Response):
            return window
        start, end = window
        name = request.params["name"]
        ids = [rid for rid, record in org.records.items() if org.owner[rid] == name
               and start < parse_iso(record["SystemModstamp"]) <= end]
        return json_response(200, {"ids": ids, "latestDateCovered": iso(end)})

    def deleted(self, request: Request, org: Org) -> Response:
        window = self._window(request, org)
        if isinstance(window, Response):
            return window
        start, end = window
        name = request.params["name"]
        rows = [{"id": rid, "deletedDate": iso(when)} for obj, rid, when in org.deleted
                if obj == name and start < when <= end]
        return json_response(200, {"deletedRecords": rows, "earliestDateAvailable": iso(
            self.store.earliest_available(org)), "latestDateCovered": iso(end)})

    # -- records --------------------------------------------------------------------------------
    def _attributes(self, request: Request, org: Org, record_id: str) -> dict[str, Any]:
        name = org.owner[record_id]
        return {"type": name, "url": f"/services/data/v{request.params['version']}/sobjects/{name}/{record_id}"}

    def get_record(self, request: Request, org: Org) -> Response:
        record_id = request.params["id"]
        if record_id not in org.records or org.owner[record_id] != request.params["name"]:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(200, {"attributes": self._attributes(request, org, record_id),
                                   **self.store.full_record(org, record_id)})

    def blob(self, request: Request, org: Org) -> Response:
        record_id, field = request.params["id"], request.params["field"]
        if record_id not in org.blobs or BLOB_FIELDS.get(request.params["name"]) != field:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response(200, org.blobs[record_id], {"Content-Type": "application/octetstream"})

    def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            values = request.json()
        except ValueError:
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if not isinstance(values, dict):
            return sf_error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        return values

    def create_record(self, request: Request, org: Org) -> Response:
        values = self._body(request)
        if isinstance(values, Response):
            return values
        values.pop("Id", None)
        if (refused := rules.check_create(org, request.params["name"], values)) is not None:
            return refused
        tenant = next(t for t, o in self.store.orgs.items() if o is org)
        record_id = self.store.create(tenant, request.params["name"], values)
        return json_response(201, {"id": record_id, "success": True, "errors": []})

    def patch_record(self, request: Request, org: Org) -> Response:
        values = self._body(request)
        if isinstance(values, Response):
            return values
        record_id = request.params["id"]
        if record_id not in org.records:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        tenant = next(t for t, o in self.store.orgs.items() if o is org)
        self.store.update(tenant, record_id, values)
        return Response(204)

    # -- SOQL -----------------------------------------------------------------------------------
    def query(self, request: Request, org: Org) -> Response:
        try:
            _obj, _fields, rows = self.store.select(org, request.arg("q") or "")
        except QueryError as exc:
            return sf_error(400, exc.code, exc.message)
        return self._page(request, [{"attributes": self._attributes(request, org, record_id), **row}
                                    for record_id, row in rows], 0)

    def query_more(self, request: Request, org: Org) -> Response:
        locator, _, offset = request.params["locator"].rpartition("-")
        cursor = self.store.cursors.get(locator)
        if cursor is None or not offset.isdigit():
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(request, cursor[0], int(offset), locator)

    def _page(self, request: Request, rows: list[dict[str, Any]], offset: int, locator: str = "") -> Response:
        size = self.store.page_size
        page = rows[offset:offset + size]
        body: dict[str, Any] = {"totalSize": len(rows), "done": offset + size >= len(rows), "records": page}
        if not body["done"]:
            locator = locator or f"01g{len(self.store.cursors):012d}AAA"
            self.store.cursors[locator] = (rows, offset + size)
            body["nextRecordsUrl"] = f"/services/data/v{request.params['version']}/query/{locator}-{offset + size}"
        return json_response(200, body)
