"""The org data of the Salesforce emulator: connected apps, objects, records, deletions."""

from __future__ import annotations

import base64
import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Key prefixes of the standard objects; custom objects get a0X.
PREFIXES = {"Account": "001", "Contact": "003", "Opportunity": "006", "Case": "500", "Lead": "00Q",
            "User": "005", "Attachment": "00P", "ContentVersion": "068", "FeedItem": "0D5", "FeedComment": "0D7"}
SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
BLOB_FIELDS = {"ContentVersion": "VersionData", "Attachment": "Body"}
WINDOW_DAYS = 30
NUMBER_TYPES = {"double": float, "currency": float, "percent": float, "int": int, "long": int}
_SELECT = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
                     r"(?:\s+WHERE\s+(?P<field>\w+)\s*(?P<op>>|=)\s*(?P<value>'[^']*'|[\w:.+-]+))?\s*$", re.I)


class QueryError(Exception):
    """A SOQL query the org refuses: ``code`` is Salesforce's errorCode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def iso(moment: datetime) -> str:
    """Salesforce's dateTime form: ``2013-05-07T22:07:19.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_iso(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConnectedApp:
    client_id: str
    username: str
    certificate_pem: bytes


@dataclass
class SObject:
    name: str
    prefix: str
    custom: bool
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> describe of the field


@dataclass
class Org:
    org_id: str
    apps: dict[str, ConnectedApp] = field(default_factory=dict)
    objects: dict[str, SObject] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> fields
    owner: dict[str, str] = field(default_factory=dict)  # id -> object name
    blobs: dict[str, bytes] = field(default_factory=dict)  # id -> VersionData/Body
    deleted: list[tuple[str, str, datetime]] = field(default_factory=list)  # (object, id, when)
    earliest: datetime | None = None  # replication data older than this is gone
    metadata: dict[str, bytes] = field(default_factory=dict)  # extra Metadata API files: path in the zip -> bytes


class SalesforceStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orgs: dict[str, Org] = {}  # tenant (org name) -> org
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (tenant, expiry)
        self.cursors: dict[str, tuple[list[dict[str, Any]], int]] = {}  # query locator -> (rows, offset)
        self.page_size = 2000
        self.token_lifetime = 3600
        self.retrieve_polls = 1  # checkRetrieveStatus polls a Metadata API retrieve answers InProgress
        self.bulk_polls = 2  # status polls a Bulk API 2.0 query job answers InProgress before JobComplete
        self.frozen: datetime | None = None  # the org's clock stands still at this moment (tests)
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        return self.frozen or now()

    def org(self, tenant: str) -> Org:
        org = self.orgs.get(tenant)
        if org is None:
            org = self.orgs[tenant] = Org(org_id="00D" + secrets.token_hex(6).upper()[:12] + "AAA")
        return org

    def issue_token(self, tenant: str) -> str:
        token = self.org(tenant).org_id + "!" + secrets.token_urlsafe(32)
        self.tokens[token] = (tenant, time.time() + self.token_lifetime)
        return token

    def tenant_of(self, token: str | None) -> str | None:
        found = self.tokens.get(token or "")
        if found is None or found[1] < time.time():
            return None
        return found[0]

    def sobject(self, org: Org, name: str) -> SObject:
        obj = org.objects.get(name)
        if obj is None:
            custom = name.endswith("__c")
            prefix = PREFIXES.get(name) or f"a0{chr(ord('A') + len([o for o in org.objects.values() if o.custom]))}"
            obj = org.objects[name] = SObject(name, prefix, custom)
            for system in SYSTEM_FIELDS:
                obj.fields[system] = {"name": system, "type": {"Id": "id", "IsDeleted": "boolean"}.get(
                    system, "datetime"), "label": system, "referenceTo": [], "relationshipName": None,
                    "updateable": False, "createable": False, "nillable": system != "Id", "custom": False}
        return obj

    def new_id(self, obj: SObject) -> str:
        return f"{obj.prefix}{next(self._ids):012d}AAA"

    def _learn_fields(self, org: Org, obj: SObject, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in obj.fields or name == "attributes":
                continue
            target = org.owner.get(value) if isinstance(value, str) else None
            if target is not None and name != "Id":
                relationship = name[:-3] + "__r" if name.endswith("__c") else (name[:-2] if name.endswith("Id")
                                                                                 else name + "__r")
                described = {"type": "reference", "referenceTo": [target], "relationshipName": relationship}
            else:
                kind = ("boolean" if isinstance(value, bool) else "double" if isinstance(value, (int, float))
                        else "base64" if name == BLOB_FIELDS.get(obj.name) else "string")
                described = {"type": kind, "referenceTo": [], "relationshipName": None}
            obj.fields[name] = {"name": name, "label": name, "updateable": True, "createable": True,
                                "nillable": True, "custom": name.endswith("__c"), **described}

    def create(self, tenant: str, object_name: str, values: dict[str, Any]) -> str:
        org = self.org(tenant)
        obj = self.sobject(org, object_name)
        values = dict(values)
        blob_field = BLOB_FIELDS.get(object_name)
        blob = base64.b64decode(values.pop(blob_field)) if blob_field and values.get(blob_field) else None
        self._learn_fields(org, obj, values)
        values = self._typed(obj, values)
        record_id = str(values.pop("Id", "") or self.new_id(obj))
        stamp = iso(self.now())
        record = {name: None for name in obj.fields}
        record.update(values)
        record.update({"Id": record_id, "IsDeleted": False, "CreatedDate": stamp, "LastModifiedDate": stamp,
                       "SystemModstamp": stamp})
        if blob_field:
            obj.fields.setdefault(blob_field, {"name": blob_field, "label": blob_field, "type": "base64",
                                               "referenceTo": [], "relationshipName": None,
                                               "updateable": object_name != "ContentVersion",  # versions are immutable
                                               "createable": True, "nillable": True, "custom": False})
            org.blobs[record_id] = blob or b""
            record[blob_field] = f"/services/data/v59.0/sobjects/{object_name}/{record_id}/{blob_field}"
        org.records[record_id] = record
        org.owner[record_id] = object_name
        return record_id

    def update(self, tenant: str, record_id: str, values: dict[str, Any]) -> None:
        org = self.org(tenant)
        record = org.records[record_id]
        obj = org.objects[org.owner[record_id]]
        values = {k: v for k, v in values.items() if k not in SYSTEM_FIELDS and k != "attributes"}
        blob_field = BLOB_FIELDS.get(obj.name)
        if blob_field and blob_field in values:
            org.blobs[record_id] = base64.b64decode(values.pop(blob_field) or "")
        self._learn_fields(org, obj, values)
        record.update(self._typed(obj, values))
        stamp = iso(self.now())
        record["LastModifiedDate"] = record["SystemModstamp"] = stamp

    def delete(self, tenant: str, record_id: str) -> None:
        org = self.org(tenant)
        org.records.pop(record_id)
        org.blobs.pop(record_id, None)
        org.deleted.append((org.owner[record_id], record_id, self.now()))
        stamp = iso(self.now())
        for child_id, child in org.records.items():  # lookups to it are cleared, as Salesforce does
            refs = [f for f, spec in org.objects[org.owner[child_id]].fields.items()
                    if spec["type"] == "reference" and child.get(f) == record_id]
            for ref in refs:
                child[ref] = None
            if refs:
                child["LastModifiedDate"] = child["SystemModstamp"] = stamp

    @staticmethod
    def _typed(obj: SObject, values: dict[str, Any]) -> dict[str, Any]:
        """Values as the org keeps them: numbers in the field's type (a double 3 reads back as 3.0),
        an empty text as null (Salesforce stores no empty strings)."""
        typed = {}
        for name, value in values.items():
            kind = obj.fields.get(name, {}).get("type")
            if value == "":
                value = None
            elif kind in NUMBER_TYPES and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = NUMBER_TYPES[kind](value)
            typed[name] = value
        return typed

    def select(self, org: Org, soql: str) -> tuple[SObject, list[str], list[tuple[str, dict[str, Any]]]]:
        """The rows of ``SELECT f, ... FROM obj [WHERE field > value | field = 'value']``: (object, fields,
        (record id, row with exactly those fields)); a query the emulator cannot answer raises :class:`QueryError`."""
        found = _SELECT.match(soql or "")
        if found is None:
            raise QueryError("MALFORMED_QUERY", "unexpected token in the query (supported: SELECT fields FROM object "
                                                "[WHERE field > value | field = 'value'])")
        obj = org.objects.get(found["object"])
        if obj is None:
            raise QueryError("INVALID_TYPE", f"sObject type '{found['object']}' is not supported.")
        fields = [f.strip() for f in found["fields"].split(",")]
        unknown = [f for f in fields if f not in obj.fields]
        if unknown:
            raise QueryError("INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{obj.name}'.")
        rows = []
        for record_id in org.records:
            if org.owner[record_id] != obj.name:
                continue
            record = org.records[record_id]
            if found["field"]:
                value, wanted = record.get(found["field"]), found["value"].strip("'")
                if found["op"] == ">":
                    if value is None or parse_iso(str(value)) <= parse_iso(wanted):
                        continue
                elif str(value) != wanted:
                    continue
            full = self.full_record(org, record_id)
            rows.append((record_id, {f: full[f] for f in fields}))
        return obj, fields, rows

    def full_record(self, org: Org, record_id: str) -> dict[str, Any]:
        obj = org.objects[org.owner[record_id]]
        record = org.records[record_id]
        return {name: record.get(name) for name in obj.fields}

    def earliest_available(self, org: Org) -> datetime:
        oldest = self.now() - timedelta(days=WINDOW_DAYS)
        return max(oldest, org.earliest) if org.earliest else oldest
