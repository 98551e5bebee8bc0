"""The ``data`` backup service of a Salesforce org: every object's records, files and attachments.

One scope per connection, the org (``data:<org id>``). Each record is one item (canonical JSON of
all its fields, lookups as ids) at ``<Object>/<Id>.json``; ContentVersion ``VersionData`` and
Attachment ``Body`` are streamed as bytes at ``<Object>/<Id>.<field>``. The first run queries every
object (one with more than ``bulk_threshold`` records, by ``limits/recordCount``, through a Bulk API 2.0
query job: ``bulk.py``; the records come out as the same bytes either way); later runs ask each object's
getUpdated/getDeleted window since the last one. Windows overlap the previous one by ``overlap_seconds``
and the cursor keeps the SystemModstamp/deletedDate of what the overlap delivered, so a change stamped in
the window end's millisecond but committed after it is not lost and nothing is delivered twice. A window
Salesforce no longer keeps (over 30 days, ``INVALID_REPLICATION_DATE``) makes the run a full
resync (``reset``); an object that appeared since is queried in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.bulk import BulkQuery, bulk_readable
from kustos.sources.salesforce.session import SalesforceSession, moment_of, stamp

BLOB_FIELDS = {"ContentVersion": "VersionData", "Attachment": "Body"}
RECORD_KIND = "record"
# Fields Salesforce maintains itself; a compare of two versions leaves them out.
VOLATILE = ("SystemModstamp", "LastModifiedDate", "LastModifiedById", "LastViewedDate", "LastReferencedDate")
BATCH = 200
# Objects with more records than this are read through a Bulk API 2.0 query job on a full read.
BULK_THRESHOLD = 10_000
COUNT_BATCH = 100  # objects per limits/recordCount request
# Each getUpdated/getDeleted window starts this long before the last one's end (see DataService._window).
OVERLAP_SECONDS = 60.0


def canonical(record: dict[str, Any]) -> bytes:
    """A record as stored: all fields, sorted keys, no ``attributes``."""
    return json.dumps({k: v for k, v in record.items() if k != "attributes"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode()


def record_items(session: SalesforceSession, name: str, record: dict[str, Any]) -> list[Item]:
    record_id = str(record["Id"])
    modstamp = str(record.get("SystemModstamp") or "")
    meta = {"name": f"{record_id}.json", "object": name, "id": record_id, "modified": modstamp,
            "eTag": modstamp, "format": "json", "volatile": list(VOLATILE)}
    items = [Item(source_id=record_id, data=canonical(record), folder=name, kind=RECORD_KIND, meta=meta)]
    field = BLOB_FIELDS.get(name)
    if field and record.get(field):
        url = str(record[field])
        items.append(Item(source_id=f"{record_id}/{field}", folder=name, kind="file",
                          meta={"name": f"{record_id}.{field}", "object": name, "id": record_id, "field": field,
                                "modified": modstamp, "eTag": modstamp},
                          stream=partial(session.download, url)))
    return items


def deletion_items(name: str, record_id: str) -> list[Item]:
    items = [Item(source_id=record_id, deleted=True, folder=name, kind=RECORD_KIND,
                  meta={"name": f"{record_id}.json", "object": name, "id": record_id})]
    if name in BLOB_FIELDS:
        items.append(Item(source_id=f"{record_id}/{BLOB_FIELDS[name]}", deleted=True, folder=name, kind="file",
                          meta={"name": f"{record_id}.{BLOB_FIELDS[name]}", "object": name, "id": record_id}))
    return items


class WindowMissed(ConnectorError):
    """Salesforce no longer keeps the replication window the cursor asks for."""


class DataService:
    name: ClassVar[str] = "data"
    scope_kind: ClassVar[str] = "org"

    def __init__(self, session: SalesforceSession, *, overlap_seconds: float = OVERLAP_SECONDS,
                 bulk_threshold: int | None = BULK_THRESHOLD, bulk: BulkQuery | None = None) -> None:
        self.session = session
        self.overlap = timedelta(seconds=overlap_seconds)
        self.bulk_threshold = bulk_threshold  # None: never the Bulk API
        self.bulk = bulk or BulkQuery(session)
        self._no_overlap = False
        self._describe: dict[str, list[dict[str, Any]]] = {}
        self._large: set[str] | None = None

    def scopes(self) -> Iterable[Scope]:
        self.session.url("")  # signs in: the org id comes with the token
        return [Scope(id=self.session.org_id or "org", kind=self.scope_kind, name=self.session.username)]

    def check(self, scope: Scope) -> None:
        self.objects()

    def objects(self) -> list[str]:
        described = self.session.get("sobjects")
        return [o["name"] for o in described.get("sobjects", []) if o.get("queryable") and o.get("replicateable")]

    def describe(self, name: str) -> list[dict[str, Any]]:
        if name not in self._describe:
            self._describe[name] = list(self.session.get(f"sobjects/{name}/describe")["fields"])
        return self._describe[name]

    def fields(self, name: str) -> list[str]:
        return [f["name"] for f in self.describe(name)]

    def large(self, names: list[str]) -> set[str]:
        """The objects with more than ``bulk_threshold`` records (``limits/recordCount``) that a Bulk API
        query can read; asked once per run."""
        if self._large is None:
            self._large = set()
            if self.bulk_threshold is not None:
                for offset in range(0, len(names), COUNT_BATCH):
                    answer = self.session.get("limits/recordCount",
                                              {"sObjects": ",".join(names[offset:offset + COUNT_BATCH])})
                    self._large |= {str(row["name"]) for row in answer.get("sObjects", [])
                                    if int(row.get("count") or 0) > self.bulk_threshold}
        return {name for name in self._large if name in names and bulk_readable(self.describe(name))}

    def records(self, name: str, names: list[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every record of ``name``: through a Bulk API 2.0 query job when the object is large, else
        through REST query pages; both give the same values (``bulk.typed_record``)."""
        if name in self.large(names if names is not None else [name]):
            yield from self.bulk.records(name, self.describe(name))
            return
        yield from self.session.query(f"SELECT {', '.join(self.fields(name))} FROM {name}")

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        self._large = None
        # A window ends at the next whole millisecond: whatever happened before this run is inside it.
        until = stamp(datetime.now(UTC) + timedelta(microseconds=999))
        names = self.objects()
        if not cursor or not cursor.get("since"):
            yield from self._full(names, reset=False)
            return
        seen = Seen(cursor, self.overlap)
        covered: list[str] = []
        try:
            items = list(self._delta(names, cursor, until, covered, seen))
        except WindowMissed:
            yield from self._full(names, reset=True)
            return
        for offset in range(0, len(items), BATCH):
            yield Batch(items[offset:offset + BATCH], None)
        # The next window starts where Salesforce says this one is complete (it may lag behind the end asked).
        since = min(covered, key=moment_of) if covered else seen.begun
        yield Batch([], {"since": since, "objects": names, **seen.cursor(since, self.overlap)})

    def _full(self, names: list[str], reset: bool) -> Iterator[Batch]:
        seen = Seen({}, self.overlap)
        pending: list[Item] = []
        first = reset
        for name in names:
            for record in self.records(name, names):
                seen.record(str(record["Id"]), str(record.get("SystemModstamp") or ""))
                pending += record_items(self.session, name, record)
                if len(pending) >= BATCH:
                    yield Batch(pending, None, reset=first)
                    pending, first = [], False
        if pending or first:
            yield Batch(pending, None, reset=first)
        yield Batch([], {"since": seen.begun, "objects": names, **seen.cursor(seen.begun, self.overlap)})

    def _window(self, name: str, which: str, since: str, until: str) -> dict[str, Any]:
        """One getUpdated/getDeleted window, starting ``overlap`` before ``since``: a record stamped in the
        same millisecond as the last window's end but committed after it is not lost (``Seen`` drops what
        was delivered already). A start the org no longer keeps is asked again without the overlap."""
        start = stamp(moment_of(since) - self.overlap) if not self._no_overlap else since
        try:
            return dict(self.session.get(f"sobjects/{name}/{which}/", {"start": start, "end": until}))
        except HttpStatusError as exc:
            if exc.status != 400 or "INVALID_REPLICATION_DATE" not in str(exc):
                raise
            if start != since:
                self._no_overlap = True
                return self._window(name, which, since, until)
            raise WindowMissed(f"the {which} window of {name} since {since} is no longer available") from exc

    def _delta(self, names: list[str], cursor: Cursor, until: str, covered: list[str], seen: Seen) -> Iterator[Item]:
        known, since = set(cursor.get("objects") or []), str(cursor["since"])
        self._no_overlap = False
        for name in names:
            if name not in known:  # a new object: everything it has
                for record in self.records(name, [n for n in names if n not in known]):
                    seen.record(str(record["Id"]), str(record.get("SystemModstamp") or ""))
                    yield from record_items(self.session, name, record)
                continue
            updated = self._window(name, "updated", since, until)
            deleted = self._window(name, "deleted", since, until)
            covered += [str(w["latestDateCovered"]) for w in (updated, deleted) if w.get("latestDateCovered")]
            for record_id in updated.get("ids", []):
                try:
                    record = self.session.get(f"sobjects/{name}/{record_id}")
                except HttpStatusError as exc:
                    if exc.status == 404:  # deleted since; the deleted window says so
                        continue
                    raise
                if seen.record(str(record_id), str(record.get("SystemModstamp") or "")):
                    yield from record_items(self.session, name, record)
            for row in deleted.get("deletedRecords", []):
                if seen.gone(str(row["id"]), str(row.get("deletedDate") or "")):
                    yield from deletion_items(name, str(row["id"]))


class Seen:
    """What the overlapping part of the last windows delivered already: record id → SystemModstamp, deleted
    id → deletedDate. ``record``/``gone`` answer whether a row is new; ``cursor`` keeps the rows inside the
    next window's overlap."""

    def __init__(self, cursor: Cursor, overlap: timedelta) -> None:
        self.begun = stamp(datetime.now(UTC))
        # Rows older than this cannot be in the next window: not kept (a full read of a large org stays small).
        self.floor = moment_of(str(cursor.get("since") or self.begun)) - overlap
        self.before: dict[str, str] = dict(cursor.get("seen") or {})
        self.before_gone: dict[str, str] = dict(cursor.get("gone") or {})
        self.records: dict[str, str] = dict(self.before)
        self.deletions: dict[str, str] = dict(self.before_gone)

    def record(self, record_id: str, modstamp: str) -> bool:
        if modstamp and moment_of(modstamp) > self.floor:
            self.records[record_id] = modstamp
        return not modstamp or self.before.get(record_id) != modstamp

    def gone(self, record_id: str, deleted: str) -> bool:
        self.deletions[record_id] = deleted
        return not deleted or self.before_gone.get(record_id) != deleted

    def cursor(self, since: str, overlap: timedelta) -> dict[str, dict[str, str]]:
        start = moment_of(since) - overlap
        return {"seen": {k: v for k, v in self.records.items() if v and moment_of(v) > start},
                "gone": {k: v for k, v in self.deletions.items() if v and moment_of(v) > start}}
