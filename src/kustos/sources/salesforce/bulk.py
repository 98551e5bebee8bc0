"""Bulk API 2.0 query jobs: the full read of a large object, records as a REST query gives them.

A job is created (``POST jobs/query``), polled until ``JobComplete`` (``Failed``/``Aborted`` end it
with a clear error; a job still running after ``timeout`` seconds is aborted), and its CSV results are
read set by set (``maxRecords``; the ``Sforce-Locator`` header names the next set, ``null`` after the
last) and the job is deleted. CSV knows only text: :func:`typed_record` turns a row back into the JSON values a REST query
answers (types from the object's describe: booleans, numbers, null for an empty value, dateTimes in
the ``+0000`` form, compound address/location fields rebuilt from their components), so a record read
either way is stored as the same bytes.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

from kustos.sources.base import ConnectorError
from kustos.sources.salesforce.session import SalesforceSession, moment_of, stamp

FLOATS = {"double", "currency", "percent"}
INTEGERS = {"int", "long"}
COMPOUND = {"address", "location"}
DONE = {"JobComplete", "Failed", "Aborted"}


class BulkJobFailed(ConnectorError):
    """A Bulk API query job ended Failed or Aborted, or did not finish in time."""


def bulk_readable(fields: list[dict[str, Any]]) -> bool:
    """Whether a Bulk API query can read the object: no binary (base64) field, and every compound field's
    components are in the describe (the query selects those instead)."""
    if any(f.get("type") == "base64" for f in fields):
        return False
    names = {f["name"] for f in fields}
    return all(any(c.get("compoundFieldName") == f["name"] for c in fields if c["name"] in names)
               for f in fields if f.get("type") in COMPOUND)


def selected(fields: list[dict[str, Any]]) -> list[str]:
    """The fields a bulk query selects: all but the compound ones."""
    return [f["name"] for f in fields if f.get("type") not in COMPOUND]


def typed_value(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "boolean":
        return text.lower() == "true"
    if kind in INTEGERS:
        return int(float(text))
    if kind in FLOATS:
        return float(text)
    if kind == "datetime":
        return stamp(moment_of(text))
    return text


def _component_key(compound: str, component: str) -> str:
    prefix = compound[:-len("Address")] if compound.endswith("Address") else compound.removesuffix("__c") + "__"
    key = component[len(prefix):] if component.startswith(prefix) else component
    key = key.removesuffix("__s")
    return key[:1].lower() + key[1:]


def typed_record(row: dict[str, str], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """A CSV row as the REST API's record: every described field, typed, in describe order."""
    kinds = {f["name"]: str(f.get("type") or "string") for f in fields}
    values = {name: typed_value(row[name], kinds[name]) for name in row if name in kinds}
    record: dict[str, Any] = {}
    for spec in fields:
        name = spec["name"]
        if kinds[name] in COMPOUND:
            parts = {_component_key(name, c["name"]): values.get(c["name"])
                     for c in fields if c.get("compoundFieldName") == name}
            record[name] = parts if any(v is not None for v in parts.values()) else None
        else:
            record[name] = values.get(name)
    return record


class BulkQuery:
    def __init__(self, session: SalesforceSession, *, set_size: int = 50_000, poll_seconds: float = 2.0,
                 timeout: float = 6 * 3600, sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.set_size = set_size
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self.sleep = sleep

    def records(self, name: str, fields: list[dict[str, Any]], *, query_all: bool = False) -> Iterator[dict[str, Any]]:
        """Every record of ``name`` (all described fields) through one query job."""
        soql = f"SELECT {', '.join(selected(fields))} FROM {name}"
        job = self.session.send("POST", "jobs/query", {"operation": "queryAll" if query_all else "query",
                                                       "query": soql, "contentType": "CSV",
                                                       "columnDelimiter": "COMMA", "lineEnding": "LF"})
        job_id = str(job["id"])
        self._wait(job_id, name)
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": self.set_size}
            if locator:
                params["locator"] = locator
            response = self.session.get_response(f"jobs/query/{job_id}/results", params)
            for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))):
                yield typed_record(row, fields)
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                break
        self.session.delete(f"jobs/query/{job_id}")  # read: the org need not keep its results for 7 days

    def _wait(self, job_id: str, name: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            info = self.session.get(f"jobs/query/{job_id}")
            state = str(info.get("state"))
            if state == "JobComplete":
                return
            if state in DONE:
                reason = info.get("errorMessage") or "no reason given"
                raise BulkJobFailed(f"the Bulk API query job {job_id} for {name} ended {state}: {reason}")
            if time.monotonic() > deadline:
                self.session.send("PATCH", f"jobs/query/{job_id}", {"state": "Aborted"})
                raise BulkJobFailed(f"the Bulk API query job {job_id} for {name} did not finish within "
                                    f"{self.timeout:.0f} s; it was aborted")
            self.sleep(self.poll_seconds)
