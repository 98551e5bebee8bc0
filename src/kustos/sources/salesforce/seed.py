"""Sandbox seeding: a filtered, relationship-closed subset of a snapshot copied into another org.

The records of the chosen object that match the filter (``filter.py``) are selected; the set is then
closed over relationships: every parent a selected record looks up (a createable ``reference`` field
of the target org's describe naming a record of the snapshot) is added, recursively, so every lookup
of the copy points at a copied record. Children are added only when asked (``with_children``: the
records of any object whose lookup names a chosen record, one level, e.g. the contacts, opportunities
and files of chosen accounts; their own parents are then added too). Users, groups, profiles,
roles and record types are never copied: a lookup to one is kept when that record exists in the
target org (ids of shared setup), else left empty and reported in ``unresolved_lookups``.

Records are created parents first (the restore writer's ``finish()``), under new ids; lookups are
remapped. With masking, personal fields are replaced (``mask.py``) before anything leaves. The
report: ``{"records": {NAME: N created}, "selected": {NAME: N}, "masked": {NAME: [fields]},
"failed": [{"path", "error"}], "unresolved_lookups": [...], "recreated": {old id: new id}}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from kustos.sources.egress import EgressPolicy
from kustos.sources.http import HttpStatusError
from kustos.sources.salesforce.backup import BLOB_FIELDS
from kustos.sources.salesforce.connector import session_for
from kustos.sources.salesforce.filter import FilterError, parse
from kustos.sources.salesforce.filter import fields as filter_fields
from kustos.sources.salesforce.mask import Masker
from kustos.sources.salesforce.restore import SalesforceRestoreWriter
from kustos.sources.salesforce.session import SalesforceSession

Records = Mapping[str, Mapping[str, Mapping[str, Any]]]  # object -> id -> record
SHARED_OBJECTS = ("User", "Group", "Profile", "UserRole", "RecordType", "Organization", "PermissionSet")


class SeedError(ValueError):
    pass


def check(obj: str, where: str | None) -> None:
    """Raise SeedError naming the problem with the object name or the filter."""
    if not obj or not obj.replace("_", "").isalnum():
        raise SeedError(f"{obj!r} is not an object name (e.g. Account or Invoice__c)")
    if obj in SHARED_OBJECTS:
        raise SeedError(f"{obj} records are org setup and are not seeded")
    if where:
        try:
            parse(where)
        except FilterError as exc:
            raise SeedError(f"--where: {exc}") from None


class SalesforceSeeder:
    def __init__(self, connect: Callable[[], SalesforceSession], mask_key: bytes) -> None:
        self._connect = connect  # the session is opened on first use: checks need none
        self._writer: SalesforceRestoreWriter | None = None
        self.mask_key = mask_key

    @property
    def writer(self) -> SalesforceRestoreWriter:
        if self._writer is None:
            self._writer = SalesforceRestoreWriter(self._connect())
        return self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def check(self, obj: str, where: str | None) -> None:
        check(obj, where)

    def describe(self, name: str) -> dict[str, dict[str, Any]]:
        """The target org's describe of an object; SeedError when the org has no such object."""
        try:
            return self.writer.fields(name)
        except HttpStatusError as exc:
            if exc.status == 404:
                raise SeedError(f"the target org has no object {name} (seed a sandbox with the same schema)") from None
            raise

    def _lookups(self, name: str, record: Mapping[str, Any]) -> list[str]:
        """The values of the record's createable lookups (ids)."""
        describe = self.describe(name)
        return [value for field, value in record.items()
                if isinstance(value, str) and (describe.get(field) or {}).get("type") == "reference"
                and (describe.get(field) or {}).get("createable")]

    def has_object(self, name: str) -> bool:
        try:
            self.describe(name)
        except SeedError:
            return False
        return True

    def select(self, records: Records, obj: str, where: str | None, with_children: bool = False) -> dict[str, str]:
        """The chosen records (with their direct children if asked) and all their parents: old id -> object."""
        predicate = parse(where) if where else (lambda record: True)
        owner = {record_id: name for name, rows in records.items() for record_id in rows}
        rows = records.get(obj, {})
        chosen = {rid: obj for rid in sorted(rows) if predicate(rows[rid])}
        if with_children:
            picked = set(chosen)
            for name in sorted(records):
                if name in SHARED_OBJECTS or not self.has_object(name):
                    continue
                children = records[name]
                for record_id in sorted(children):
                    if record_id not in chosen and picked & set(self._lookups(name, children[record_id])):
                        chosen[record_id] = name
        queue = list(chosen)
        while queue:
            record_id = queue.pop()
            name = chosen[record_id]
            describe = self.describe(name)
            for field, value in records[name][record_id].items():
                spec = describe.get(field) or {}
                if (spec.get("type") != "reference" or not spec.get("createable") or not isinstance(value, str)
                        or value not in owner or value in chosen or owner[value] in SHARED_OBJECTS):
                    continue
                chosen[value] = owner[value]
                queue.append(value)
        return chosen

    def seed(self, records: Records, obj: str, where: str | None = None, *, mask_personal: bool = False,
             mask_fields: Mapping[str, Iterable[str]] | None = None, with_children: bool = False,
             blob: Callable[[str, str], bytes | None] | None = None,
             progress: Callable[..., None] | None = None) -> dict[str, Any]:
        check(obj, where)
        if obj not in records:
            raise SeedError(f"the snapshot has no {obj} records")
        if where:
            known: set[str] = set()
            for record in records[obj].values():
                known.update(record)
            unknown = sorted(filter_fields(where) - known)
            if unknown:
                raise SeedError(f"--where: {obj} has no field {', '.join(unknown)}")
        chosen = self.select(records, obj, where, with_children)
        masker = Masker(self.mask_key.hex(), mask_fields) if mask_personal else None
        masked: dict[str, set[str]] = {}
        selected: dict[str, int] = {}
        for record_id, name in chosen.items():
            record = dict(records[name][record_id])
            selected[name] = selected.get(name, 0) + 1
            if masker is not None:
                record, fields = masker.mask(name, record, self.describe(name))
                masked.setdefault(name, set()).update(fields)
            if name in BLOB_FIELDS and blob is not None and record.get(BLOB_FIELDS[name]):
                self.writer.blobs[record_id] = partial(blob, name, record_id)  # read when it is created
            self.writer.add(name, record_id, record, f"{name}/{record_id}")
        if progress:
            progress(0, len(chosen), f"{len(chosen)} records selected")
        finished = self.writer.finish()
        created: dict[str, int] = {}
        for record_id in self.writer.id_map:
            if record_id in chosen:
                created[chosen[record_id]] = created.get(chosen[record_id], 0) + 1
        if progress:
            progress(finished["restored"], len(chosen), f"{finished['restored']} records created")
        details = self.writer.report()
        return {"records": dict(sorted(created.items())), "selected": dict(sorted(selected.items())),
                "masked": {name: sorted(fields) for name, fields in sorted(masked.items()) if fields},
                "failed": finished["failed"], "unresolved_lookups": details["unresolved_lookups"],
                "recreated": details["recreated"]}


def build_seeder(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> SalesforceSeeder:
    """A seeder writing into the org of ``settings``; fakes are keyed by the org's own secret (never
    guessable from outside, the same for every seeding of this org)."""
    key = hmac.new(secret.encode(), b"kustos seeding masks v1:" + str(settings.get("username", "")).encode(),
                   hashlib.sha256).digest()
    return SalesforceSeeder(lambda: session_for(settings, secret, egress), key)
