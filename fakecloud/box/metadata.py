"""Metadata templates and instances of the Box emulator (paths as the Box OpenAPI, below ``/2.0``).

* ``GET /metadata_templates/enterprise`` (marker paged: ``limit``, ``marker`` → ``next_marker``) and
  ``GET /metadata_templates/{scope}/{template_key}/schema`` (404 ``not_found``) with the enterprise token.
* ``POST /metadata_templates/schema`` (``scope`` must be ``enterprise``: 403 otherwise; ``displayName`` and a
  ``templateKey`` of ``^[a-zA-Z_][-a-zA-Z0-9_]*$``, else 400 ``bad_request``; a key in use: 400) and
  ``PUT /metadata_templates/enterprise/{template_key}/schema`` (operations ``addField`` and ``editTemplate``).
* ``GET|POST|PUT /files/{id}/metadata/{scope}/{template_key}`` As-User: POST creates an instance (201;
  unknown template 404 ``instance_tuple_not_found``; a field the template lacks 400
  ``schema_validation_failed``; present already 409 ``tuple_already_exists``), PUT applies a JSON-Patch
  (``add``, ``replace``, ``remove``, ``test``; 404 ``instance_not_found``), GET reads one (404
  ``instance_not_found``). ``global/properties`` takes any keys. A write is a ``METADATA_INSTANCE_CREATE`` /
  ``_UPDATE`` event of the owner's ``changes`` stream with the file as its source.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from fakecloud.box.errors import box_error
from fakecloud.box.store import BoxStore, Node, User
from fakecloud.web import Request, Response, Router, json_response

KEY = re.compile(r"^[a-zA-Z_][-a-zA-Z0-9_]*$")
FIELD_TYPES = frozenset({"string", "float", "date", "enum", "multiSelect", "integer", "taxonomy"})


def template_of(enterprise: str, key: str, display_name: str, fields: list[dict[str, Any]],
                hidden: bool = False) -> dict[str, Any]:
    """A ``MetadataTemplate`` as the OpenAPI names its fields."""
    return {"id": str(uuid.uuid4()), "type": "metadata_template", "scope": f"enterprise_{enterprise}",
            "templateKey": key, "displayName": display_name, "hidden": hidden, "copyInstanceOnItemCopy": False,
            "fields": [{"id": str(uuid.uuid4()), "type": str(f.get("type") or "string"), "key": str(f["key"]),
                        "displayName": str(f.get("displayName") or f["key"]), "hidden": bool(f.get("hidden")),
                        **({"description": f["description"]} if f.get("description") else {}),
                        **({"options": [{"id": str(uuid.uuid4()), "key": str(o.get("key"))}
                                        for o in f.get("options") or []]} if f.get("options") else {})}
                       for f in fields]}


def instance_of(enterprise: str, node: Node, key: str, scope: str, values: dict[str, Any]) -> dict[str, Any]:
    """A ``Metadata--Full`` instance on ``node``."""
    return {"$parent": f"file_{node.id}", "$template": key,
            "$scope": "global" if scope == "global" else f"enterprise_{enterprise}", "$version": 0,
            "$id": str(uuid.uuid4()), "$type": f"{key}-{secrets.token_hex(4)}", "$typeVersion": 0,
            "$canEdit": True, **values}


def _metadata_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"code": code, "message": message, "request_id": secrets.token_hex(6)})


class MetadataService:
    def __init__(self, store: BoxStore, enterprise_of: Any, node_of: Any) -> None:
        self.store = store
        self.enterprise_of = enterprise_of  # request -> enterprise id | Response (the token check)
        self.node_of = node_of  # (request, kind) -> (User, Node) | Response (the As-User check)

    def register(self, router: Router) -> None:
        router.add("GET", r"/2\.0/metadata_templates/enterprise", self.templates)
        router.add("POST", r"/2\.0/metadata_templates/schema", self.create_template)
        router.add("GET", r"/2\.0/metadata_templates/(?P<scope>[a-z_]+)/(?P<key>[-A-Za-z0-9_]+)/schema",
                   self.template)
        router.add("PUT", r"/2\.0/metadata_templates/(?P<scope>[a-z_]+)/(?P<key>[-A-Za-z0-9_]+)/schema",
                   self.update_template)
        path = r"/2\.0/files/(?P<id>\d+)/metadata/(?P<scope>[a-z_]+)/(?P<key>[-A-Za-z0-9_]+)"
        router.add("GET", path, self.instance)
        router.add("POST", path, self.create_instance)
        router.add("PUT", path, self.update_instance)

    # --- templates --------------------------------------------------------------------------------------
    def templates(self, request: Request) -> Response:
        enterprise = self.enterprise_of(request)
        if isinstance(enterprise, Response):
            return enterprise
        try:
            limit = max(1, min(int(request.arg("limit", "100") or 100), 1000))
            start = int(request.arg("marker") or 0)
        except ValueError:
            return box_error(400, "bad_request", "Invalid paging parameter")
        with self.store.lock:
            rows = sorted(self.store.enterprise(enterprise).templates.values(), key=lambda t: t["templateKey"])
        chunk = rows[start:start + limit]
        after = start + len(chunk)
        return json_response(200, {"limit": limit, "next_marker": str(after) if after < len(rows) else None,
                                   "prev_marker": None, "entries": chunk})

    def template(self, request: Request) -> Response:
        enterprise = self.enterprise_of(request)
        if isinstance(enterprise, Response):
            return enterprise
        if request.params["scope"] not in ("enterprise", "global"):
            return box_error(400, "bad_request", f"Invalid scope '{request.params['scope']}'")
        with self.store.lock:
            found = self.store.enterprise(enterprise).templates.get(request.params["key"])
        if found is None or request.params["scope"] != "enterprise":
            return box_error(404, "not_found", "Could not find the specified resource")
        return json_response(200, found)

    def update_template(self, request: Request) -> Response:
        """JSON-Patch-like template operations; the emulator knows ``addField`` and ``editTemplate``."""
        enterprise = self.enterprise_of(request)
        if isinstance(enterprise, Response):
            return enterprise
        if request.params["scope"] != "enterprise":
            return box_error(403, "access_denied_insufficient_permissions", "Only enterprise templates can change")
        ops = request.json()
        if not isinstance(ops, list):
            return box_error(400, "bad_request", "The body must be an array of template operations")
        with self.store.lock:
            template = self.store.enterprise(enterprise).templates.get(request.params["key"])
            if template is None:
                return box_error(404, "not_found", "Could not find the specified resource")
            fields = list(template["fields"])
            changes: dict[str, Any] = {}
            for op in ops:
                data = op.get("data") if isinstance(op, dict) else None
                if not isinstance(data, dict):
                    return box_error(400, "bad_request", "Every operation needs an op and data")
                if op.get("op") == "addField":
                    if not data.get("key") or data.get("type") not in FIELD_TYPES:
                        return box_error(400, "bad_request", "addField needs a key and a valid type")
                    if any(f["key"] == data["key"] for f in fields):
                        return box_error(400, "bad_request", f"Field '{data['key']}' already exists")
                    fields += template_of(enterprise, "", "", [data])["fields"]
                elif op.get("op") == "editTemplate":
                    changes.update({k: data[k] for k in ("displayName", "hidden") if k in data})
                else:
                    return box_error(400, "bad_request", f"Unsupported operation {op.get('op')!r}")
            template.update(changes, fields=fields)
            return json_response(200, template)

    def create_template(self, request: Request) -> Response:
        enterprise = self.enterprise_of(request)
        if isinstance(enterprise, Response):
            return enterprise
        body = request.json()
        if not isinstance(body, dict):
            return box_error(400, "bad_request", "The body must be a JSON object")
        if body.get("scope") != "enterprise":
            return box_error(403, "access_denied_insufficient_permissions",
                             "Applications can only create templates of scope 'enterprise'")
        name = str(body.get("displayName") or "")
        key = str(body.get("templateKey") or re.sub(r"[^A-Za-z0-9_]", "", name[:1].lower() + name[1:]) or "")
        fields = body.get("fields") or []
        if not name or not KEY.match(key) or len(key) > 64:
            return box_error(400, "bad_request", "displayName is required and templateKey must match "
                                                 "^[a-zA-Z_][-a-zA-Z0-9_]*$")
        if not isinstance(fields, list) or any(not isinstance(f, dict) or not f.get("key") or
                                               f.get("type") not in FIELD_TYPES for f in fields):
            return box_error(400, "bad_request", "Every field needs a key and a valid type")
        with self.store.lock:
            templates = self.store.enterprise(enterprise).templates
            if key in templates:
                return box_error(400, "bad_request", f"A template with the key '{key}' already exists")
            templates[key] = template_of(enterprise, key, name, fields, bool(body.get("hidden")))
            return json_response(201, templates[key])

    # --- instances --------------------------------------------------------------------------------------
    def _file(self, request: Request) -> tuple[User, Node] | Response:
        if request.params["scope"] not in ("enterprise", "global"):
            return box_error(400, "bad_request", f"Invalid scope '{request.params['scope']}'")
        return self.node_of(request, "file")  # type: ignore[no-any-return]

    @staticmethod
    def _find(node: Node, scope: str, key: str) -> dict[str, Any] | None:
        return next((m for m in node.metadata if m["$template"] == key and
                     (m["$scope"] == "global") == (scope == "global")), None)

    def instance(self, request: Request) -> Response:
        with self.store.lock:
            found = self._file(request)
            if isinstance(found, Response):
                return found
            row = self._find(found[1], request.params["scope"], request.params["key"])
            if row is None:
                return box_error(404, "instance_not_found", "The metadata template was not applied to the file")
            return json_response(200, row)

    def create_instance(self, request: Request) -> Response:
        body = request.json()
        scope, key = request.params["scope"], request.params["key"]
        with self.store.lock:
            found = self._file(request)
            if isinstance(found, Response):
                return found
            user, node = found
            if not isinstance(body, dict):
                return box_error(400, "bad_request", "The body must be a JSON object")
            if scope == "global":
                if key != "properties":
                    return box_error(404, "instance_tuple_not_found", f"Template global.{key} not found")
            else:
                template = self.store.enterprise(user.enterprise).templates.get(key)
                if template is None:
                    return box_error(404, "instance_tuple_not_found", f"Template enterprise.{key} not found")
                known = {f["key"] for f in template["fields"]}
                unknown = sorted(k for k in body if k not in known)
                if unknown:
                    return box_error(400, "schema_validation_failed",
                                     f"Encountered invalid value for template field key={unknown[0]}")
            if self._find(node, scope, key) is not None:
                return _metadata_error(409, "tuple_already_exists", "A resource with this value already exists")
            row = instance_of(user.enterprise, node, key, scope, dict(body))
            node.metadata.append(row)
            self.store.event(user, "METADATA_INSTANCE_CREATE", node)
            return json_response(201, row)

    def update_instance(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/json-patch+json"):
            return box_error(400, "bad_request", "Expected Content-Type application/json-patch+json")
        ops = request.json()
        with self.store.lock:
            found = self._file(request)
            if isinstance(found, Response):
                return found
            row = self._find(found[1], request.params["scope"], request.params["key"])
            if row is None:
                return box_error(404, "instance_not_found", "The metadata template was not applied to the file")
            changed = _patch(row, ops)
            if isinstance(changed, Response):
                return changed
            row.clear()
            row.update(changed)
            row["$version"] = int(row.get("$version") or 0) + 1
            self.store.event(found[0], "METADATA_INSTANCE_UPDATE", found[1])
            return json_response(200, row)


def _patch(row: dict[str, Any], ops: Any) -> dict[str, Any] | Response:
    if not isinstance(ops, list):
        return box_error(400, "bad_request", "The body must be an array of JSON-Patch operations")
    out = dict(row)
    for op in ops:
        if not isinstance(op, dict) or not str(op.get("path") or "").startswith("/"):
            return box_error(400, "bad_request", "Every operation needs an op and a path")
        name = str(op["path"])[1:].replace("~1", "/").replace("~0", "~")
        if name.startswith("$"):
            return box_error(400, "bad_request", f"{name} cannot be changed")
        kind = op.get("op")
        if kind in ("add", "replace"):
            if kind == "replace" and name not in out:
                return box_error(400, "bad_request", f"/{name} does not exist")
            out[name] = op.get("value")
        elif kind == "remove":
            if out.pop(name, None) is None:
                return box_error(400, "bad_request", f"/{name} does not exist")
        elif kind == "test":
            if out.get(name) != op.get("value"):
                return box_error(409, "conflict", f"Test of /{name} failed")
        else:
            return box_error(400, "bad_request", f"Unsupported operation {kind!r}")
    return out
