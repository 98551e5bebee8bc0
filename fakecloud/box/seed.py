"""The generic control API for ``service=box`` (``kind=file``; ``tenant`` = the enterprise id, ``account`` = a
user's login, ``path`` = ``/Folder/name.ext``).

``seed`` meta: ``comments`` (list of texts, added), ``metadata`` (``{template: {field: value}}``, enterprise
scope: the file's instance of that template is set to these values; a missing template is created with string
fields), ``collaborators`` (logins given ``editor`` access to the file's folder), ``file_collaborators`` (logins
given ``editor`` access to the file), ``external_collaborators`` (logins outside the enterprise, a pending
``viewer`` collaboration on the file), ``not_ready`` (the next N downloads of the file answer 202 Accepted),
``commits_pending`` (the next N upload session commits of the emulator answer 202 Accepted), ``retry_after``
(the seconds every 202 asks to wait).

``kind=metadata_template``: ``path`` = ``/templateKey``, content = ``{"displayName", "fields": [{"key",
"type"}]}`` as JSON; ``remove`` deletes the template, ``items`` lists the enterprise's templates.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fakecloud.box.metadata import instance_of, template_of
from fakecloud.box.shapes import user_mini
from fakecloud.box.sharing import collaboration_of
from fakecloud.box.store import BoxStore, Node, User, now_iso

KINDS = ("file", "metadata_template")


def _kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not emulated for box (only {', '.join(KINDS)})")


class BoxSeeder:
    def __init__(self, store: BoxStore) -> None:
        self.store = store

    def credentials(self, tenant: str, base_url: str) -> dict[str, Any]:
        with self.store.lock:
            client_id, secret = self.store.add_app(tenant)
        return {"settings": {"client_id": client_id, "client_secret": secret, "enterprise_id": tenant,
                             "endpoint": base_url, "upload_endpoint": f"{base_url}/api"}}

    def seed(self, tenant: str, account: str, kind: str, path: str, content: bytes,
             meta: dict[str, Any]) -> dict[str, str]:
        _kind(kind)
        if kind == "metadata_template":
            return self._template(tenant, path.strip("/"), content)
        folder, _, name = path.strip("/").rpartition("/")
        if not name:
            raise ValueError("a box file path needs a file name")
        with self.store.lock:
            user = self.store.ensure_user(tenant, account)
            parent = self.store.folder_path(user, folder)
            node = self.store.put_file(user, parent.id, name, content, self.store.child(user, parent.id, name))
            for text in meta.get("comments") or []:
                node.comments.append({"type": "comment", "id": self.store.new_id(), "message": str(text),
                                      "is_reply_comment": False, "created_by": user_mini(user),
                                      "created_at": now_iso(), "modified_at": now_iso(),
                                      "item": {"id": node.id, "type": "file"}})
            for template, values in (meta.get("metadata") or {}).items():
                self._instance(user, node, str(template), dict(values))
            for login in meta.get("collaborators") or []:
                self._collaborate(user, parent, str(login))
            for login in meta.get("file_collaborators") or []:
                self._collaborate(user, node, str(login))
            for login in meta.get("external_collaborators") or []:  # a user of another company
                outsider = {"type": "user", "id": self.store.new_id(), "name": str(login).split("@")[0],
                            "login": str(login)}
                node.collaborations.append(collaboration_of(self.store, user, node, outsider, "viewer", "pending"))
            node.not_ready = int(meta.get("not_ready") or 0)
            if "commits_pending" in meta:
                self.store.commits_pending = int(meta["commits_pending"])
            if "retry_after" in meta:
                self.store.retry_after = float(meta["retry_after"])
            return {"id": node.id, "path": "/" + path.strip("/")}

    def _template(self, tenant: str, key: str, content: bytes) -> dict[str, str]:
        """An enterprise template ``key`` from ``{"displayName", "fields": [{"key", "type"}]}`` (JSON)."""
        body = json.loads(content or b"{}")
        with self.store.lock:
            template = template_of(tenant, key, str(body.get("displayName") or key), list(body.get("fields") or []))
            self.store.enterprise(tenant).templates[key] = template
        return {"id": template["id"], "path": "/" + key}

    def _instance(self, user: User, node: Node, key: str, values: dict[str, Any]) -> None:
        """The file's instance of enterprise template ``key`` set to ``values`` (the template is created with
        string fields when missing, and gains the fields it lacks)."""
        templates = self.store.enterprise(user.enterprise).templates
        if key not in templates:
            templates[key] = template_of(user.enterprise, key, key.title(), [{"key": k} for k in values])
        fields = templates[key]["fields"]
        missing = [k for k in values if k not in {f["key"] for f in fields}]
        fields += template_of(user.enterprise, key, key, [{"key": k} for k in missing])["fields"]
        node.metadata[:] = [m for m in node.metadata if m["$template"] != key]
        node.metadata.append(instance_of(user.enterprise, node, key, "enterprise", values))

    def _collaborate(self, user: User, node: Node, login: str) -> None:
        """``login`` (created in the enterprise when new) an editor of ``node`` (once)."""
        other = self.store.ensure_user(user.enterprise, login)
        if not any(c["accessible_by"].get("id") == other.id for c in node.collaborations):
            node.collaborations.append(collaboration_of(self.store, user, node, user_mini(other), "editor"))

    def remove(self, tenant: str, account: str, kind: str, path: str) -> None:
        _kind(kind)
        with self.store.lock:
            if kind == "metadata_template":
                if self.store.enterprise(tenant).templates.pop(path.strip("/"), None) is None:
                    raise KeyError(f"no metadata template {path.strip('/')!r} in {tenant}")
                return
            user = self._user(tenant, account)
            node = self.store.node_at(user, path)
            if node is None:
                raise KeyError(f"no box item {path!r} of {account}")
            self.store.trash(user, node)

    def items(self, tenant: str, account: str, kind: str) -> list[dict[str, Any]]:
        """Files (``kind=file``; with their comments, metadata instances and collaborations), folders
        (``kind=folder``; path and collaborations) or the enterprise's metadata templates."""
        if kind != "folder":
            _kind(kind or "file")
        rows = []
        with self.store.lock:
            if kind == "metadata_template":
                return [{"path": "/" + key, "displayName": t["displayName"], "fields": [f["key"] for f in t["fields"]]}
                        for key, t in sorted(self.store.enterprise(tenant).templates.items())]
            for user in self.store.enterprise(tenant).users.values():
                if account and account.lower() not in (user.login.lower(), user.id):
                    continue
                for node in user.nodes.values():
                    if node.type != (kind or "file") or node.id == "0":
                        continue
                    path = "/" + "/".join([p.name for p in self.store.path_of(user, node)[1:]] + [node.name])
                    row: dict[str, Any] = {"path": path, "account": user.login, "collaborations": sorted(
                        [str(c["accessible_by"].get("login") or c["accessible_by"]["id"]), c["role"]]
                        for c in node.collaborations)}
                    if node.type == "file":
                        row.update({
                            "sha256": hashlib.sha256(node.content).hexdigest(), "size": len(node.content),
                            "modified": node.modified, "comments": [c["message"] for c in node.comments],
                            "metadata": {m["$template"]: {k: v for k, v in m.items() if not k.startswith("$")}
                                         for m in node.metadata}})
                    rows.append(row)
        return sorted(rows, key=lambda r: (r["account"], r["path"]))

    def _user(self, tenant: str, account: str) -> User:
        user = self.store.user(tenant, account)
        if user is None:
            raise KeyError(f"no box user {account!r} in {tenant}")
        return user
