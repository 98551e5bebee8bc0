"""Compare the records of two snapshots, or of a snapshot and the live source, per object and field.

Generic over every kind whose backup keeps records: snapshot items of kind ``record`` (JSON objects;
``meta["object"]`` names the object, else the item's folder; ``meta["id"]`` the record id, else its
file name; ``meta["volatile"]`` lists fields the platform changes by itself, left out of the field
comparison). ``live`` fetches the source's current records through its backup connector (nothing
is written). The answer: ``{"objects": {NAME: {"added": [...], "removed": [...], "changed": [...]}}}``
with added/removed records (``{"id", "record"}``) and changed fields (``{"id", "fields": {F: {"old",
"new"}}}``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError

from kustos.backup.models import BackupSnapshot
from kustos.backup.services import runs
from kustos.core import runtime
from kustos.sources.base import Item

RECORD = "record"
LIVE = "live"
Records = dict[str, dict[str, dict[str, Any]]]  # object -> id -> record


def _place(path: str, meta: dict[str, Any]) -> tuple[str, str]:
    folder, _, name = path.rpartition("/")
    obj = str(meta.get("object") or folder.rpartition("/")[2] or "_")
    record_id = str(meta.get("id") or name.removesuffix(".json"))
    return obj, record_id


def _add(out: Records, volatile: dict[str, set[str]], obj: str, record_id: str, data: bytes,
         meta: dict[str, Any], wanted: str | None) -> None:
    if wanted and obj != wanted:
        return
    try:
        record = json.loads(data)
    except ValueError:
        return
    if isinstance(record, dict):
        out.setdefault(obj, {})[record_id] = record
        volatile.setdefault(obj, set()).update(str(f) for f in meta.get("volatile") or ())


def snapshot_records(snap: BackupSnapshot, obj: str | None = None,
                     volatile: dict[str, set[str]] | None = None) -> Records:
    store = runtime.store_for(snap.plan.customer_id)
    out: Records = {}
    volatile = {} if volatile is None else volatile
    for account in [row["account"] for row in store.snapshots.ls(snap.id)]:
        for path, entry in store.snapshots.walk(snap.id, account):
            if entry.kind != RECORD or not entry.id:
                continue
            name, record_id = _place(path, entry.meta)
            if obj and name != obj:
                continue
            with store.open(entry.id) as stream:
                _add(out, volatile, name, record_id, stream.read(), entry.meta, obj)
    return out


def _live_items(snap: BackupSnapshot) -> Iterator[Item]:
    connector = runs.connector(snap.plan)
    try:
        for scope in list(connector.scopes()):
            for batch in connector.fetch(scope, None):
                yield from (item for item in batch.items if item.kind == RECORD and not item.deleted)
    finally:
        close = getattr(connector, "close", None)
        if close is not None:
            close()


def live_records(snap: BackupSnapshot, obj: str | None = None,
                 volatile: dict[str, set[str]] | None = None) -> Records:
    out: Records = {}
    volatile = {} if volatile is None else volatile
    for item in _live_items(snap):
        name, record_id = _place(f"{item.folder}/{item.meta.get('name') or item.source_id}", item.meta)
        _add(out, volatile, name, record_id, item.data, item.meta, obj)
    return out


def diff(old: Records, new: Records, volatile: dict[str, set[str]]) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name, {}), new.get(name, {})
        skip = volatile.get(name, set())
        changed = []
        for record_id in sorted(set(before) & set(after)):
            fields = {f: {"old": before[record_id].get(f), "new": after[record_id].get(f)}
                      for f in sorted(set(before[record_id]) | set(after[record_id]))
                      if f not in skip and before[record_id].get(f) != after[record_id].get(f)}
            if fields:
                changed.append({"id": record_id, "fields": fields})
        added = [{"id": i, "record": after[i]} for i in sorted(set(after) - set(before))]
        removed = [{"id": i, "record": before[i]} for i in sorted(set(before) - set(after))]
        if added or removed or changed:
            objects[name] = {"added": added, "removed": removed, "changed": changed}
    return {"objects": objects}


def compare(first: BackupSnapshot, second: BackupSnapshot | str, obj: str | None = None) -> dict[str, Any]:
    """Records of ``first`` against ``second`` (a snapshot of the same customer, or ``"live"``)."""
    volatile: dict[str, set[str]] = {}
    old = snapshot_records(first, obj, volatile)
    if isinstance(second, str):
        if second != LIVE:
            raise ValidationError(f"compare with a snapshot id or 'live', not {second!r}")
        new = live_records(first, obj, volatile)
    else:
        if second.plan.customer_id != first.plan.customer_id:
            raise ValidationError("both snapshots must belong to the same customer")
        new = snapshot_records(second, obj, volatile)
    result = diff(old, new, volatile)
    result.update({"from": first.id, "to": second if isinstance(second, str) else second.id, "object": obj or ""})
    return result


CSV_HEADER = ("object", "id", "change", "field", "old", "new")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def csv_rows(result: dict[str, Any]) -> Iterable[tuple[str, ...]]:
    for name, found in result["objects"].items():
        for row in found["added"]:
            yield name, row["id"], "added", "", "", ""
        for row in found["removed"]:
            yield name, row["id"], "removed", "", "", ""
        for row in found["changed"]:
            for field, values in row["fields"].items():
                yield name, row["id"], "changed", field, _cell(values["old"]), _cell(values["new"])


def as_csv(result: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in csv_rows(result):
        writer.writerow(["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row])
    return buffer.getvalue()
