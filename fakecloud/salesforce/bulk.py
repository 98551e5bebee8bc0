"""Bulk API 2.0 query jobs of the Salesforce emulator, and ``limits/recordCount``.

``POST /services/data/vXX.X/jobs/query`` (``{"operation": "query"|"queryAll", "query": ...}``) answers
the job info in state ``UploadComplete``; the rows are taken at that moment. ``GET .../jobs/query/{id}``
answers ``InProgress`` for ``store.bulk_polls`` polls, then ``JobComplete`` (a query that selects a
base64 field ends ``Failed``: Bulk API queries cannot read binary fields). ``GET .../results`` answers
412 ``JOB_NOT_COMPLETE`` before that, then CSV (every value quoted, LF line ends, ``""`` for null,
``true``/``false``, dateTimes as ``2024-01-02T03:04:05.000Z``) in sets of ``maxRecords`` rows:
``Sforce-NumberOfRecords`` counts the set, ``Sforce-Locator`` names the next one (the string ``null``
after the last). ``PATCH`` with ``{"state": "Aborted"}`` aborts, ``DELETE`` removes a job; a job of an
API version is read with that version only (409). Throttling (``REQUEST_LIMIT_EXCEEDED``) comes from the
shared fault layer, as for every ``/services/`` path.
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from fakecloud.salesforce.store import Org, QueryError, SalesforceStore, iso, parse_iso
from fakecloud.web import Request, Response, Router, json_response

DATA = r"/services/data/v(?P<version>\d+\.\d)"
DEFAULT_SET = 10_000
_ids = itertools.count(1)


def sf_error(status: int, code: str, message: str) -> Response:
    return json_response(status, [{"errorCode": code, "message": message}])


@dataclass
class QueryJob:
    id: str
    org_id: str
    operation: str
    object: str
    query: str
    version: str
    created: str
    fields: list[str]
    types: dict[str, str]
    rows: list[dict[str, Any]]
    state: str = "UploadComplete"
    polls: int = 0
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.object, "createdById": "005000000000001AAA",
            "createdDate": self.created, "systemModstamp": self.created, "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(self.version),
            "lineEnding": "LF", "columnDelimiter": "COMMA"}
        if self.polls:
            body.update({"jobType": "V2Query", "numberRecordsProcessed": len(self.rows) if self.state == "JobComplete"
                         else 0, "retries": 0, "totalProcessingTime": 40 * self.polls})
        if self.error:
            body["errorMessage"] = self.error
        return body


def csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "datetime":
        return iso(parse_iso(str(value))).replace("+0000", "Z")
    return str(value)


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int | None:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class BulkService:
    def __init__(self, store: SalesforceStore, auth: Any) -> None:
        self.store = store
        self.auth = auth  # wraps a handler: bearer token -> the org (401 INVALID_SESSION_ID otherwise)
        self.jobs: dict[str, QueryJob] = {}

    def register(self, router: Router) -> None:
        router.add("POST", DATA + r"/jobs/query/?", self.auth(self.create))
        router.add("GET", DATA + r"/jobs/query/(?P<job>\w{15,18})/results/?", self.auth(self.results))
        router.add("GET", DATA + r"/jobs/query/(?P<job>\w{15,18})/?", self.auth(self.status))
        router.add("PATCH", DATA + r"/jobs/query/(?P<job>\w{15,18})/?", self.auth(self.abort))
        router.add("DELETE", DATA + r"/jobs/query/(?P<job>\w{15,18})/?", self.auth(self.delete))
        router.add("GET", DATA + r"/limits/recordCount/?", self.auth(self.record_count))

    def record_count(self, request: Request, org: Org) -> Response:
        wanted = [n for n in (request.arg("sObjects") or "").split(",") if n]
        names = wanted or list(org.objects)
        counts = {name: 0 for name in names if name in org.objects}
        for record_id, owner in org.owner.items():
            if owner in counts and record_id in org.records:
                counts[owner] += 1
        return json_response(200, {"sObjects": [{"count": n, "name": name} for name, n in counts.items()]})

    def create(self, request: Request, org: Org) -> Response:
        try:
            body = request.json()
        except ValueError:
            return sf_error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
        if not isinstance(body, dict) or body.get("operation") not in ("query", "queryAll"):
            return sf_error(400, "INVALIDJOB", "InvalidJob : operation must be query or queryAll")
        if body.get("contentType", "CSV") != "CSV" or body.get("columnDelimiter", "COMMA") != "COMMA":
            return sf_error(400, "INVALIDJOB", "InvalidJob : the emulator answers CSV with COMMA delimiters only")
        try:
            obj, fields, rows = self.store.select(org, str(body.get("query") or ""))
        except QueryError as exc:
            return sf_error(400, exc.code, exc.message)
        job_id = f"750{next(_ids):012d}AAA"
        types = {f: str(obj.fields[f].get("type")) for f in fields}
        job = QueryJob(job_id, org.org_id, body["operation"], obj.name, str(body["query"]),
                       request.params["version"], iso(self.store.now()), fields, types, [row for _id, row in rows])
        binary = [f for f in fields if types[f] == "base64"]
        if binary:
            job.error = f"FeatureNotEnabled : Binary field not supported: {binary[0]}"
        self.jobs[job_id] = job
        return json_response(200, job.info())

    def _job(self, request: Request, org: Org) -> QueryJob | Response:
        job = self.jobs.get(request.params["job"])
        if job is None or job.org_id != org.org_id:
            return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        if job.version != request.params["version"]:
            return sf_error(409, "INVALIDJOB", f"The job was created in API version {job.version}; read it with "
                                               "the same version")
        return job

    def status(self, request: Request, org: Org) -> Response:
        job = self._job(request, org)
        if isinstance(job, Response):
            return job
        if job.state in ("UploadComplete", "InProgress"):
            job.polls += 1
            job.state = "InProgress" if job.polls <= self.store.bulk_polls else (
                "Failed" if job.error else "JobComplete")
        return json_response(200, job.info())

    def abort(self, request: Request, org: Org) -> Response:
        job = self._job(request, org)
        if isinstance(job, Response):
            return job
        try:
            state = (request.json() or {}).get("state")
        except (ValueError, AttributeError):
            state = None
        if state != "Aborted":
            return sf_error(400, "INVALIDJOBSTATE", "A query job can only be set to Aborted")
        if job.state in ("JobComplete", "Failed", "Aborted"):
            return sf_error(400, "INVALIDJOBSTATE", f"Job is already in state {job.state}")
        job.state = "Aborted"
        return json_response(200, job.info())

    def delete(self, request: Request, org: Org) -> Response:
        job = self._job(request, org)
        if isinstance(job, Response):
            return job
        self.jobs.pop(job.id, None)
        return Response(204)

    def results(self, request: Request, org: Org) -> Response:
        job = self._job(request, org)
        if isinstance(job, Response):
            return job
        if job.state != "JobComplete":
            return sf_error(412, "JOB_NOT_COMPLETE", "can only download query results of successfully completed bulk "
                                                     f"job with status: JOB_COMPLETE. Current status: {job.state}")
        size_text = request.arg("maxRecords") or str(DEFAULT_SET)
        if not size_text.isdigit() or int(size_text) < 1:
            return sf_error(400, "INVALID_QUERY_LOCATOR", "maxRecords must be a positive whole number")
        locator = request.arg("locator")
        offset = decode_locator(locator) if locator else 0
        if offset is None or offset > len(job.rows):
            return sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        chunk = job.rows[offset:offset + int(size_text)]
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(job.fields)
        for row in chunk:
            writer.writerow([csv_value(row.get(f), job.types[f]) for f in job.fields])
        after = offset + len(chunk)
        return Response(200, out.getvalue().encode(), {
            "Content-Type": "text/csv", "Sforce-NumberOfRecords": str(len(chunk)),
            "Sforce-Locator": encode_locator(after) if after < len(job.rows) else "null"})
