"""The generic control API for ``service=box`` (``kind=file``; ``tenant`` = the enterprise id, ``account`` = a
user's login, ``path`` = ``/Folder/name.ext``).

``seed`` meta: ``comments`` (list of texts), ``metadata`` (``{template: {field: value}}``, enterprise scope),
``collaborators`` (logins given ``editor`` access to the file's folder).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from fakecloud.box.shapes import user_mini
from fakecloud.box.store import BoxStore, User, now_iso


def _kind(kind: str) -> None:
    if kind != "file":
        raise ValueError(f"kind {kind!r} is not emulated for box (only file)")


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
                node.metadata.append({"$parent": f"file_{node.id}", "$template": str(template),
                                      "$scope": f"enterprise_{tenant}", "$version": 0, "$id": secrets.token_hex(8),
                                      "$type": f"{template}-{secrets.token_hex(4)}", "$typeVersion": 0,
                                      "$canEdit": True, **dict(values)})
            for login in meta.get("collaborators") or []:
                other = self.store.ensure_user(tenant, str(login))
                parent.collaborations.append({"type": "collaboration", "id": self.store.new_id(),
                                              "role": "editor", "status": "accepted",
                                              "accessible_by": user_mini(other), "created_by": user_mini(user),
                                              "item": {"type": "folder", "id": parent.id, "name": parent.name}})
            return {"id": node.id, "path": "/" + path.strip("/")}

    def remove(self, tenant: str, account: str, kind: str, path: str) -> None:
        _kind(kind)
        with self.store.lock:
            user = self._user(tenant, account)
            node = self.store.node_at(user, path)
            if node is None:
                raise KeyError(f"no box item {path!r} of {account}")
            self.store.trash(user, node)

    def items(self, tenant: str, account: str, kind: str) -> list[dict[str, Any]]:
        _kind(kind or "file")
        rows = []
        with self.store.lock:
            for user in self.store.enterprise(tenant).users.values():
                if account and account.lower() not in (user.login.lower(), user.id):
                    continue
                for node in user.nodes.values():
                    if node.type != "file":
                        continue
                    path = "/" + "/".join([p.name for p in self.store.path_of(user, node)[1:]] + [node.name])
                    rows.append({"path": path, "sha256": hashlib.sha256(node.content).hexdigest(),
                                 "size": len(node.content), "modified": node.modified, "account": user.login})
        return sorted(rows, key=lambda r: (r["account"], r["path"]))

    def _user(self, tenant: str, account: str) -> User:
        user = self.store.user(tenant, account)
        if user is None:
            raise KeyError(f"no box user {account!r} in {tenant}")
        return user
