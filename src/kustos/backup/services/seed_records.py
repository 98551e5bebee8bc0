"""The records of a snapshot as a read-on-demand mapping ``object -> id -> record`` for seeding.

One walk of the snapshot tree (names and metadata only) indexes every ``record`` item (the object
from ``meta["object"]`` or the folder, the id from ``meta["id"]`` or the file name, as compare reads
them) and every ``file`` item kept beside a record (``meta["object"]``, ``meta["id"]``: e.g. a
Salesforce attachment's body). A record's JSON is read from the vault only when it is looked up, and
not kept: a seeding holds the records it copies, not the whole org.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from kustos.backup.models import BackupSnapshot
from kustos.core import runtime

RECORD = "record"


class ObjectRecords(Mapping[str, dict[str, Any]]):
    """The records of one object: id -> record (read from the vault on each access)."""

    def __init__(self, store: Any, oids: dict[str, str]) -> None:
        self.store, self.oids = store, oids

    def __getitem__(self, record_id: str) -> dict[str, Any]:
        with self.store.open(self.oids[record_id]) as stream:
            record = json.loads(stream.read())
        return record if isinstance(record, dict) else {}

    def __iter__(self) -> Iterator[str]:
        return iter(self.oids)

    def __len__(self) -> int:
        return len(self.oids)


class SnapshotRecords(Mapping[str, ObjectRecords]):
    def __init__(self, snap: BackupSnapshot) -> None:
        self.store = runtime.store_for(snap.plan.customer_id)
        self.index: dict[str, dict[str, str]] = {}  # object -> id -> vault object id
        self.blobs: dict[tuple[str, str], str] = {}  # (object, id) -> vault object id of its bytes
        for account in [row["account"] for row in self.store.snapshots.ls(snap.id)]:
            for path, entry in self.store.snapshots.walk(snap.id, account):
                if not entry.id:
                    continue
                meta = entry.meta or {}
                if entry.kind == RECORD:
                    folder, _, name = path.rpartition("/")
                    obj = str(meta.get("object") or folder.rpartition("/")[2] or "_")
                    self.index.setdefault(obj, {})[str(meta.get("id") or name.removesuffix(".json"))] = entry.id
                elif entry.kind == "file" and meta.get("object") and meta.get("id"):
                    self.blobs[(str(meta["object"]), str(meta["id"]))] = entry.id

    def __getitem__(self, obj: str) -> ObjectRecords:
        return ObjectRecords(self.store, self.index[obj])

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def blob(self, obj: str, record_id: str) -> bytes | None:
        """The bytes kept beside a record (e.g. a file's content), or None."""
        oid = self.blobs.get((obj, record_id))
        if oid is None:
            return None
        with self.store.open(oid) as stream:
            data: bytes = stream.read()
        return data

