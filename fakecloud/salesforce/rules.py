"""Field rules of the Salesforce emulator: what a real org refuses, and the describe that says so.

A create that leaves out a required field (``nillable: false``, ``createable``, not
``defaultedOnCreate``; e.g. the master-detail field of a detail record) is refused with 400
``REQUIRED_FIELD_MISSING`` and the real error body (``[{"message": "Required fields are missing:
[F]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["F"]}]``); so is a reference to a record
that does not exist in the org (``INVALID_CROSS_REFERENCE_KEY``, ``MALFORMED_ID`` for a value that
is no id). Controls: ``salesforce/describe {"tenant", "object", "field", "describe": {...}}`` sets
(part of) the describe of a field (``nillable``, ``type`` such as ``email``/``phone``/``reference``,
``referenceTo``), creating it if the object does not have it yet; ``salesforce/copy_schema {"from",
"to"}`` gives an org the objects and fields of another, as a sandbox has its production org's.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from fakecloud.salesforce.store import Org, SalesforceStore
from fakecloud.web import Response, json_response

_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


def required_fields(org: Org, object_name: str) -> list[str]:
    obj = org.objects.get(object_name)
    if obj is None:
        return []
    return [name for name, spec in obj.fields.items()
            if spec.get("createable") and spec.get("nillable") is False and not spec.get("defaultedOnCreate")]


def check_create(org: Org, object_name: str, values: dict[str, Any]) -> Response | None:
    """None when a real org would accept the create, else its error answer."""
    missing = [name for name in required_fields(org, object_name) if values.get(name) in (None, "")]
    if missing:
        return json_response(400, [{"message": f"Required fields are missing: [{', '.join(missing)}]",
                                    "errorCode": "REQUIRED_FIELD_MISSING", "fields": missing}])
    obj = org.objects.get(object_name)
    for name, value in values.items():
        spec = obj.fields.get(name) if obj is not None else None
        if spec is None or spec.get("type") != "reference" or value in (None, ""):
            continue
        if not isinstance(value, str) or not _ID.match(value):
            return json_response(400, [{"message": f"{name}: id value of incorrect type: {value}",
                                        "errorCode": "MALFORMED_ID", "fields": [name]}])
        if value not in org.records:
            return json_response(400, [{"message": "invalid cross reference id", "errorCode":
                                        "INVALID_CROSS_REFERENCE_KEY", "fields": [name]}])
    return None


def describe_field(store: SalesforceStore, tenant: str, object_name: str, field: str,
                   describe: dict[str, Any]) -> dict[str, Any]:
    with store.lock:
        obj = store.sobject(store.org(tenant), object_name)
        spec = obj.fields.setdefault(field, {"name": field, "label": field, "type": "string", "referenceTo": [],
                                             "relationshipName": None, "updateable": True, "createable": True,
                                             "nillable": True, "custom": field.endswith("__c")})
        spec.update({k: v for k, v in describe.items() if k != "name"})
        return dict(spec)


def copy_schema(store: SalesforceStore, source: str, target: str) -> list[str]:
    """The objects of org ``source`` (with their fields) in org ``target`` too; returns their names."""
    with store.lock:
        origin, org = store.org(source), store.org(target)
        for name, obj in origin.objects.items():
            mine = store.sobject(org, name)
            for field, spec in obj.fields.items():
                mine.fields.setdefault(field, copy.deepcopy(spec))
        return list(origin.objects)
