"""Put records of a snapshot back into an org (the same one or another): changed fields back, deleted
records re-created.

A record that still exists gets its changed (updateable) fields patched back. A record that is gone
(always the case in another org) is created again, strictly parents first, as a real org refuses a
child whose required lookup (master-detail, ``nillable: false``) is empty: records to create are
collected while the snapshot is walked and created at ``finish()`` in the dependency order of their
lookups (``order.creation_order``); each lookup points at the new id of its re-created parent. A
cycle is broken at a lookup that may be empty: created without it and patched once the parent
exists. Files and attachments (``<Id>.VersionData`` / ``<Id>.Body``) travel with their record.
``recreated`` (old id → new id) and the lookups left unresolved are in the restore report.
Metadata (the ``metadata`` service) cannot be written back: offered for download only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, BinaryIO

from kustos.sources.egress import EgressPolicy
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.backup import BLOB_FIELDS
from kustos.sources.salesforce.connector import session_for
from kustos.sources.salesforce.order import creation_order, lookups
from kustos.sources.salesforce.session import SalesforceSession

CONFLICTS = ("skip", "copy", "replace")
PENDING = "pending"  # a write whose outcome ``finish()`` reports
ITEM_ERRORS = (Exception,)  # a record that cannot be created is reported, the others go on


def _read(open_content: Callable[[], BinaryIO]) -> bytes:
    with open_content() as stream:
        return stream.read()


class RestoreError(ValueError):
    pass


class DownloadOnly(RestoreError):
    download_only = True


class SalesforceRestoreWriter:
    def __init__(self, session: SalesforceSession) -> None:
        self.session = session
        self.id_map: dict[str, str] = {}  # old id -> id of the re-created record
        self.waiting: dict[str, list[tuple[str, str, str]]] = {}  # old parent id -> (object, new child id, field)
        # old id -> how to read its file/attachment bytes: read only when the record is created
        self.blobs: dict[str, Callable[[], bytes | None]] = {}
        self.pending: dict[str, tuple[str, dict[str, Any], str]] = {}  # old id -> (object, record, where)
        self._describe: dict[str, dict[str, dict[str, Any]]] = {}
        self._exists: dict[str, bool] = {}

    def close(self) -> None:
        self.session.close()

    def report(self) -> dict[str, Any]:
        """What the restore changed beyond the counts: re-created records (old id → new id) and lookups
        that still point at a parent that was not restored."""
        return {"recreated": dict(self.id_map),
                "unresolved_lookups": [{"object": obj, "id": child, "field": field, "parent": parent}
                                       for parent, rows in self.waiting.items() for obj, child, field in rows]}

    def fields(self, name: str) -> dict[str, dict[str, Any]]:
        if name not in self._describe:
            described = self.session.get(f"sobjects/{name}/describe")
            self._describe[name] = {f["name"]: f for f in described["fields"]}
        return self._describe[name]

    def _current(self, name: str, record_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.session.get(f"sobjects/{name}/{record_id}"))
        except HttpStatusError as exc:
            if exc.status == 404:
                return None
            raise

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        """Put one item back; returns ``restored``, ``skipped`` or ``pending`` (a record to re-create,
        counted by ``finish()``); raises on failure."""
        if conflict not in CONFLICTS:
            raise RestoreError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
        if account.partition(":")[0] == "metadata":
            if kind == "folder":
                return "skipped"
            raise DownloadOnly(f"{path}: download only: org metadata (configuration) is not written back "
                               "into an org; download it and deploy it with the Metadata API")
        if kind == "folder":
            return "skipped"
        if open_content is None:
            raise RestoreError(f"{path}: no content in the snapshot")
        name, record_id = str(meta.get("object") or path.split("/")[0]), str(meta.get("id") or "")
        if kind == "file":
            field = str(meta.get("field") or BLOB_FIELDS.get(name, ""))
            current = self._current(name, record_id) if record_id else None
            if current is None:
                self.blobs[record_id] = partial(_read, open_content)  # goes with the record when it is re-created
                return "restored"
            unchanged = current.get("SystemModstamp") == meta.get("eTag")
            if unchanged or conflict == "skip" or not self.fields(name).get(field, {}).get("updateable"):
                return "skipped"
            self.session.send("PATCH", f"sobjects/{name}/{record_id}",
                              {field: base64.b64encode(_read(open_content)).decode()})
            return "restored"
        if kind != "record":
            raise RestoreError(f"{path}: items of kind {kind!r} cannot be restored into Salesforce")
        record = json.loads(_read(open_content))
        record_id = record_id or str(record.get("Id"))
        current = self._current(name, record_id)
        if current is not None and conflict != "copy":
            return self._patch_back(name, record_id, record, current, conflict)
        self.add(name, record_id, record, f"{account}/{path}")
        return PENDING

    def add(self, name: str, record_id: str, record: dict[str, Any], where: str = "") -> None:
        """A record to create at ``finish()`` (under a new id; lookups remapped)."""
        self.pending[record_id] = (name, record, where or f"{name}/{record_id}")

    def finish(self) -> dict[str, Any]:
        """Create the collected records, parents first; ``{"restored": N, "failed": [{"path", "error"}]}``."""
        out: dict[str, Any] = {"restored": 0, "failed": []}
        edges = {}
        for key, (name, record, where) in list(self.pending.items()):
            try:
                edges[key] = lookups(record, self.fields(name).get, self.pending)
            except ITEM_ERRORS as exc:  # e.g. the object does not exist in this org
                out["failed"].append({"path": where, "error": f"{type(exc).__name__}: {exc}"[:500]})
        order, deferred = creation_order(list(edges), edges)
        for key in order:
            name, record, where = self.pending[key]
            try:
                self._recreate(name, key, record, deferred.get(key, set()))
            except ITEM_ERRORS as exc:
                out["failed"].append({"path": where, "error": f"{type(exc).__name__}: {exc}"[:500]})
                continue
            out["restored"] += 1
        self.pending.clear()
        return out

    def _exists_in_org(self, targets: list[str], value: str) -> bool:
        if value not in self._exists:
            self._exists[value] = any(self._current(target, value) is not None for target in targets)
        return self._exists[value]

    def _lookup(self, name: str, field: str, value: Any) -> tuple[Any, bool]:
        """The value a lookup gets now, and whether it must wait for its parent."""
        if not isinstance(value, str) or not value:
            return value, False
        if value in self.id_map:
            return self.id_map[value], False
        if value in self.pending:  # created later in this restore
            return None, True
        if self._exists_in_org(self.fields(name)[field].get("referenceTo") or [], value):
            return value, False
        return None, True

    def _patch_back(self, name: str, record_id: str, record: dict[str, Any], current: dict[str, Any],
                    conflict: str) -> str:
        fields = self.fields(name)
        changes: dict[str, Any] = {}
        relinked = False
        for field, value in record.items():
            spec = fields.get(field)
            if spec is None or not spec.get("updateable") or spec.get("type") == "base64":
                continue
            if spec.get("type") == "reference":
                original = value
                value, wait = self._lookup(name, field, value)
                if wait:  # the parent comes back later in this restore
                    if conflict != "skip":
                        self.waiting.setdefault(original, []).append((name, record_id, field))
                        relinked = True
                    continue
            if current.get(field) != value:
                changes[field] = value
        if conflict == "skip" or not (changes or relinked):
            return "skipped"
        if changes:
            self.session.send("PATCH", f"sobjects/{name}/{record_id}", changes)
        return "restored"

    def _recreate(self, name: str, record_id: str, record: dict[str, Any], defer: set[str] | None = None) -> str:
        fields = self.fields(name)
        values: dict[str, Any] = {}
        later: list[tuple[str, str]] = []  # (field, old parent id)
        for field, value in record.items():
            spec = fields.get(field)
            if spec is None or not spec.get("createable") or value is None:
                continue
            if spec.get("type") == "base64":
                continue
            if spec.get("type") == "reference":
                value, wait = self._lookup(name, field, value)
                if wait or field in (defer or ()):
                    later.append((field, record[field]))
                    continue
            values[field] = value
        blob_field = BLOB_FIELDS.get(name)
        data = self.blobs.pop(record_id)() if blob_field and record_id in self.blobs else None
        if blob_field and data is not None:
            values[blob_field] = base64.b64encode(data).decode()
        created = self.session.send("POST", f"sobjects/{name}", values)
        new_id = str(created["id"])
        self.id_map[record_id] = new_id
        for field, parent in later:
            self.waiting.setdefault(parent, []).append((name, new_id, field))
        for child_object, child_id, field in self.waiting.pop(record_id, []):
            self.session.send("PATCH", f"sobjects/{child_object}/{child_id}", {field: new_id})
        return "restored"


def build_restore(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> SalesforceRestoreWriter:
    return SalesforceRestoreWriter(session_for(settings, secret, egress))
