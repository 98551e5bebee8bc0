"""What a Box restore writes back beside the content (same enterprise, As-User of the target user): a file's
comments, metadata instances and collaborations, a folder's collaborations, and the enterprise's metadata
templates.

* Comments: ``POST /comments``. Box sets the author and time of a new comment itself, so the text says who
  wrote it and when (``COMMENT_NOTE``); a comment restored before, or the original still on the file (same text
  and author), is not added twice.
* Metadata instances: ``POST /files/{id}/metadata/{scope}/{template}``; when the file has an instance of
  that template already (409 ``tuple_already_exists``) it is read and brought to the backed-up values with a
  JSON-Patch (``PUT``, ``application/json-patch+json``). A template missing in the enterprise (404), or
  lacking a field (400 ``schema_validation_failed``), is created or completed from the schema kept beside the
  file (``metadata_templates``) and the instance written again;
  without that schema it is reported (the snapshot's ``enterprise`` account, walked before the users'
  files, restores every template).
* Collaborations: ``POST /collaborations`` (``notify=false``) with the same role, for the user by login (or
  id) or the group by id; one already on the item is skipped; the target user (the item's owner now) is
  not invited to their own item; one Box refuses (e.g. an external user the enterprise's policy forbids) is
  reported with Box's reason.
* Templates: ``GET /metadata_templates/enterprise/{key}/schema``; when missing ``POST
  /metadata_templates/schema`` with the backed-up fields; an existing one only gains the backed-up fields it
  lacks (``PUT .../schema``, ``addField``), nothing of it is changed or removed.

``report()`` → ``{"reapplied": {"comments", "metadata", "collaborations", "templates"}, "not_reapplied":
[{"path", "what", "reason"}]}`` (empty when nothing was written back).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from kustos.sources.base import ConnectorError
from kustos.sources.box.session import BoxSession, box_error

COMMENT_NOTE = "\n\n[Originally written by {author} on {created}; restored from a backup]"
TEMPLATE_FIELD_KEYS = ("type", "key", "displayName", "description", "hidden")
MAX_PROBLEMS = 500


def comment_text(comment: Mapping[str, Any]) -> str:
    author = comment.get("created_by") or comment.get("created_by_name") or "an unknown user"
    return f"{comment.get('message') or ''}" + COMMENT_NOTE.format(author=author,
                                                                   created=comment.get("created_at") or "unknown")


def instance_values(instance: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in instance.items() if not str(k).startswith("$")}


def json_patch(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The JSON-Patch that turns the values of ``current`` into ``wanted`` (``$`` keys are Box's own)."""
    now = instance_values(current)
    ops: list[dict[str, Any]] = [{"op": "add", "path": "/" + _pointer(k), "value": v}
                                 for k, v in wanted.items() if now.get(k) != v or k not in now]
    ops += [{"op": "remove", "path": "/" + _pointer(k)} for k in now if k not in wanted]
    return ops


def _pointer(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def template_body(template: Mapping[str, Any]) -> dict[str, Any]:
    """The ``POST /metadata_templates/schema`` body that re-creates a backed-up template."""
    fields = []
    for field in template.get("fields") or []:
        row = {k: field[k] for k in TEMPLATE_FIELD_KEYS if field.get(k) not in (None, "")}
        if field.get("options"):
            row["options"] = [{"key": o.get("key")} for o in field["options"]]
        fields.append(row)
    return {"scope": "enterprise", "templateKey": template.get("templateKey"),
            "displayName": template.get("displayName") or template.get("templateKey"),
            "hidden": bool(template.get("hidden")), "copyInstanceOnItemCopy": bool(template.get("copyInstanceOnItemCopy")),
            "fields": fields}


class Reapplier:
    def __init__(self, session: BoxSession) -> None:
        self.session = session
        self.counts = {"comments": 0, "metadata": 0, "collaborations": 0, "templates": 0}
        self.problems: list[dict[str, str]] = []
        self.tried = False

    def report(self) -> dict[str, Any]:
        if not self.tried:
            return {}
        return {"reapplied": dict(self.counts), "not_reapplied": list(self.problems)}

    def _problem(self, path: str, what: str, error: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"path": path, "what": what, "reason": error[:300]})

    def _send(self, method: str, path: str, user: str | None, body: object, *, params: Mapping[str, Any] | None = None,
              ctype: str = "application/json") -> httpx.Response:
        headers = {"Content-Type": ctype}
        url = f"{self.session.base}{path}"
        if user is None:
            return self.session.http.request(method, url, headers=headers, params=params,
                                             content=json.dumps(body).encode())
        return self.session.request(method, url, user, headers=headers, params=params, content=json.dumps(body).encode())

    # --- files and folders --------------------------------------------------------------------------------
    def file(self, user: str, file_id: str, path: str, meta: Mapping[str, Any]) -> None:
        """Comments, metadata instances and collaborations of a restored file (a failure is reported, the
        file stays restored)."""
        if meta.get("comments"):
            self.tried = True
            try:
                self._comments(user, file_id, path, list(meta["comments"]))
            except ConnectorError as exc:
                self._problem(path, "comments", str(exc))
        schemas = meta.get("metadata_templates") or {}
        for instance in meta.get("metadata") or []:
            self.tried = True
            try:
                self._metadata(user, file_id, path, instance, schemas.get(str(instance.get("$template"))))
            except ConnectorError as exc:
                self._problem(path, f"metadata {instance.get('$scope')}.{instance.get('$template')}", str(exc))
        self.collaborations(user, "file", file_id, path, meta)

    def collaborations(self, user: str, kind: str, item_id: str, path: str, meta: Mapping[str, Any]) -> None:
        """The backed-up collaborations of a restored file or folder (failures are reported)."""
        if not meta.get("collaborations"):
            return
        self.tried = True
        try:
            self._collaborations(user, kind, item_id, path, list(meta["collaborations"]))
        except ConnectorError as exc:
            self._problem(path, "collaborations", str(exc))

    def _collaborations(self, user: str, kind: str, item_id: str, path: str, wanted: list[Mapping[str, Any]]) -> None:
        present = list(self.session.marked(f"/{kind}s/{item_id}/collaborations", user, limit=100))
        there = {str(key).lower() for c in present for key in ((c.get("accessible_by") or {}).get("id"),
                                                               (c.get("accessible_by") or {}).get("login")) if key}
        for collaboration in wanted:
            who = collaboration.get("accessible_by") or {}
            label = f"{who.get('type') or 'user'} {who.get('login') or who.get('name') or who.get('id')}"
            if str(who.get("id") or "") == user:
                self._problem(path, f"collaboration of {label}", "the target user owns the restored item")
                continue
            if {str(who.get("id") or "").lower(), str(who.get("login") or "").lower()} & there:
                continue  # already collaborating
            target = ({"type": "user", "login": who["login"]} if who.get("type", "user") == "user" and who.get("login")
                      else {"type": who.get("type") or "user", "id": who.get("id")})
            answer = self._send("POST", "/collaborations", user,
                                {"item": {"type": kind, "id": item_id}, "accessible_by": target,
                                 "role": collaboration.get("role")}, params={"notify": "false"})
            if answer.status_code == 201:
                self.counts["collaborations"] += 1
            elif answer.status_code != 409:  # 409: already a collaborator
                self._problem(path, f"collaboration of {label} ({collaboration.get('role')})",
                              str(box_error(answer)))

    def _comments(self, user: str, file_id: str, path: str, comments: list[Mapping[str, Any]]) -> None:
        present: set[tuple[str, str]] = set()  # (text, author login); author "" matches any
        for row in self.session.paged(f"/files/{file_id}/comments", user, {}, limit=100):
            present |= {(str(row.get("message") or ""), ""),
                        (str(row.get("message") or ""), str((row.get("created_by") or {}).get("login") or ""))}
        for comment in comments:
            text = comment_text(comment)
            if (text, "") in present or (str(comment.get("message") or ""), str(comment.get("created_by") or "")) in present:
                continue  # restored before, or the original comment is still there
            answer = self._send("POST", "/comments", user, {"message": text, "item": {"type": "file", "id": file_id}})
            if answer.status_code == 201:
                self.counts["comments"] += 1
                present.add((text, ""))
            else:
                self._problem(path, "comment", str(box_error(answer)))

    def _metadata(self, user: str, file_id: str, path: str, instance: Mapping[str, Any],
                  schema: Mapping[str, Any] | None) -> None:
        key, owner = str(instance.get("$template") or ""), str(instance.get("$scope") or "")
        scope = "global" if owner == "global" else "enterprise"
        what = f"metadata {owner or scope}.{key}"
        if scope == "enterprise" and owner != f"enterprise_{self.session.enterprise_id}":
            self._problem(path, what, "the template belongs to another enterprise")
            return
        values = instance_values(instance)
        where = f"/files/{file_id}/metadata/{scope}/{key}"
        answer = self._instance(user, where, values)
        if answer is not None and _needs_template(answer) and schema is not None:
            try:  # the enterprise lost the template or some of its fields: put them back from the kept schema
                changed = self.template(path, schema)
            except ConnectorError as exc:
                self._problem(path, what, f"the metadata template {key!r} could not be restored: {exc}")
                return
            if changed:
                answer = self._instance(user, where, values)
        if answer is None or answer.status_code in (200, 201):
            self.counts["metadata"] += 1
        elif answer.status_code == 404 and "instance_tuple_not_found" in answer.text:
            self._problem(path, what, f"the metadata template {key!r} does not exist in the enterprise (restore the "
                                      f"snapshot's enterprise templates first)")
        else:
            self._problem(path, what, str(box_error(answer)))

    def _instance(self, user: str, where: str, values: Mapping[str, Any]) -> httpx.Response | None:
        """Create the instance, or bring the one there to ``values`` with a JSON-Patch; None: it has them."""
        answer = self._send("POST", where, user, values)
        if answer.status_code != 409:
            return answer
        current = self.session.request("GET", f"{self.session.base}{where}", user)
        if current.status_code not in (200, 201):
            return current
        ops = json_patch(current.json(), values)
        return self._send("PUT", where, user, ops, ctype="application/json-patch+json") if ops else None

    # --- templates ----------------------------------------------------------------------------------------
    def template(self, path: str, template: Mapping[str, Any]) -> bool:
        """Create the backed-up template when the enterprise lacks it, or add the backed-up fields it lacks
        (``addField``); True when it was created or completed, False when it had everything."""
        self.tried = True
        key = str(template.get("templateKey") or "")
        if not key:
            raise ConnectorError(f"{path!r} is not a Box metadata template (no templateKey)")
        where = f"{self.session.base}/metadata_templates/enterprise/{key}/schema"
        found = self.session.http.request("GET", where)
        if found.status_code == 200:
            have = {str(f.get("key")) for f in found.json().get("fields") or []}
            missing = [f for f in template_body(template)["fields"] if str(f.get("key")) not in have]
            if not missing:
                return False
            answer = self._send("PUT", f"/metadata_templates/enterprise/{key}/schema", None,
                                [{"op": "addField", "data": f} for f in missing], ctype="application/json-patch+json")
            if answer.status_code != 200:
                raise box_error(answer)
            self.counts["templates"] += 1
            return True
        if found.status_code != 404:
            raise box_error(found)
        answer = self._send("POST", "/metadata_templates/schema", None, template_body(template))
        if answer.status_code != 201:
            raise box_error(answer)
        self.counts["templates"] += 1
        return True


def _needs_template(answer: httpx.Response) -> bool:
    """Box refused an instance for its template: missing (404) or without one of the fields (400)."""
    return (answer.status_code == 404 and "instance_tuple_not_found" in answer.text) or (
        answer.status_code == 400 and "schema_validation_failed" in answer.text)
