"""The ``data`` backup service of a Salesforce org: every object's records, files and attachments.

One scope per connection, the org (``data:<org id>``). Each record is one item (canonical JSON of
all its fields, lookups as ids) at ``<Object>/<Id>.json``; ContentVersion ``VersionData`` and
Attachment ``Body`` are streamed as bytes at ``<Object>/<Id>.<field>``. The first run queries every
object; later runs ask each object's getUpdated/getDeleted window since the last one. A window
Salesforce no longer keeps (over 30 days, ``INVALID_REPLICATION_DATE``) makes the run a full
resync (``reset``); an object that appeared since is queried in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.session import SalesforceSession

BLOB_FIELDS = {"ContentVersion": "VersionData", "Attachment": "Body"}
RECORD_KIND = "record"
# Fields Salesforce maintains itself; a compare of two versions leaves them out.
VOLATILE = ("SystemModstamp", "LastModifiedDate", "LastModifiedById", "LastViewedDate", "LastReferencedDate")
BATCH = 200


def canonical(record: dict[str, Any]) -> bytes:
    """A record as stored: all fields, sorted keys, no ``attributes``."""
    return json.dumps({k: v for k, v in record.items() if k != "attributes"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode()


def _moment(value: str) -> datetime:
    """A Salesforce dateTime (``2013-05-08T21:20:00.000+0000``) as an aware datetime."""
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


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

    def __init__(self, session: SalesforceSession) -> None:
        self.session = session
        self._fields: dict[str, list[str]] = {}

    def scopes(self) -> Iterable[Scope]:
        self.session.url("")  # signs in: the org id comes with the token
        return [Scope(id=self.session.org_id or "org", kind=self.scope_kind, name=self.session.username)]

    def check(self, scope: Scope) -> None:
        self.objects()

    def objects(self) -> list[str]:
        described = self.session.get("sobjects")
        return [o["name"] for o in described.get("sobjects", []) if o.get("queryable") and o.get("replicateable")]

    def fields(self, name: str) -> list[str]:
        if name not in self._fields:
            self._fields[name] = [f["name"] for f in self.session.get(f"sobjects/{name}/describe")["fields"]]
        return self._fields[name]

    def records(self, name: str) -> Iterator[dict[str, Any]]:
        yield from self.session.query(f"SELECT {', '.join(self.fields(name))} FROM {name}")

    def _full(self, names: list[str], reset: bool) -> Iterator[Batch]:
        pending: list[Item] = []
        first = reset
        for name in names:
            for record in self.records(name):
                pending += record_items(self.session, name, record)
                if len(pending) >= BATCH:
                    yield Batch(pending, None, reset=first)
                    pending, first = [], False
        if pending or first:
            yield Batch(pending, None, reset=first)

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        started = stamp(datetime.now(UTC))
        names = self.objects()
        if not cursor or not cursor.get("since"):
            yield from self._full(names, reset=False)
            yield Batch([], {"since": started, "objects": names})
            return
        covered: list[str] = []
        try:
            items = list(self._delta(names, cursor, started, covered))
        except WindowMissed:
            yield from self._full(names, reset=True)
            yield Batch([], {"since": started, "objects": names})
            return
        for offset in range(0, len(items), BATCH):
            yield Batch(items[offset:offset + BATCH], None)
        # The next window starts where Salesforce says this one is complete (it may lag behind the end asked).
        since = min(covered, key=_moment) if covered else started
        yield Batch([], {"since": since, "objects": names})

    def _window(self, name: str, which: str, since: str, until: str) -> dict[str, Any]:
        try:
            return dict(self.session.get(f"sobjects/{name}/{which}/", {"start": since, "end": until}))
        except HttpStatusError as exc:
            if exc.status == 400 and "INVALID_REPLICATION_DATE" in str(exc):
                raise WindowMissed(f"the {which} window of {name} since {since} is no longer available") from exc
            raise

    def _delta(self, names: list[str], cursor: Cursor, until: str, covered: list[str]) -> Iterator[Item]:
        known, since = set(cursor.get("objects") or []), str(cursor["since"])
        for name in names:
            if name not in known:  # a new object: everything it has
                for record in self.records(name):
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
                yield from record_items(self.session, name, record)
            for row in deleted.get("deletedRecords", []):
                yield from deletion_items(name, str(row["id"]))
