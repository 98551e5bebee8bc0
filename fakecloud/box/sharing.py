"""Comments and collaborations of the Box emulator (paths as the Box OpenAPI, below ``/2.0``), As-User.

* ``GET /files/{id}/collaborations`` and ``GET /folders/{id}/collaborations`` (marker paged: ``limit``,
  ``marker`` → ``next_marker``).
* ``POST /comments`` (``message`` or ``tagged_message``, ``item`` of type ``file`` or ``comment``; 201
  ``Comment--Full``). The author and time are the caller's and now: the API cannot set them.
* ``POST /collaborations`` (``item`` file/folder of the caller, ``accessible_by`` user by ``id`` or
  ``login`` or group by ``id``, ``role`` of the OpenAPI's enum): 201; an unknown role 400 ``bad_request``;
  the item's owner 400 ``bad_request``; a user already collaborating 409 ``user_already_collaborator``; a login
  outside the enterprise 403 ``forbidden_by_policy`` (the emulated enterprise forbids external collaboration).

Each write is an event of the owner's ``changes`` stream (``COMMENT_CREATE``, ``COLLAB_ADD_COLLABORATOR``) with
the file or folder as its source.
"""

from __future__ import annotations

from typing import Any

from fakecloud.box.errors import box_error
from fakecloud.box.shapes import user_mini
from fakecloud.box.store import BoxStore, Node, User, now_iso
from fakecloud.web import Request, Response, Router, json_response

ROLES = frozenset({"editor", "viewer", "previewer", "uploader", "previewer uploader", "viewer uploader", "co-owner"})


def marker_page(request: Request, rows: list[dict[str, Any]]) -> Response:
    try:
        limit = max(1, min(int(request.arg("limit", "100") or 100), 1000))
        start = int(request.arg("marker") or 0)
    except ValueError:
        return box_error(400, "bad_request", "Invalid paging parameter")
    chunk = rows[start:start + limit]
    after = start + len(chunk)
    return json_response(200, {"limit": limit, "next_marker": str(after) if after < len(rows) else None,
                               "prev_marker": None, "entries": chunk})


def collaboration_of(store: BoxStore, owner: User, node: Node, accessible_by: dict[str, Any], role: str,
                     status: str = "accepted") -> dict[str, Any]:
    return {"type": "collaboration", "id": store.new_id(), "role": role, "status": status,
            "accessible_by": accessible_by, "created_by": user_mini(owner), "created_at": now_iso(),
            "modified_at": now_iso(), "item": {"type": node.type, "id": node.id, "name": node.name}}


class SharingService:
    def __init__(self, store: BoxStore, user_of: Any, node_of: Any) -> None:
        self.store = store
        self.user_of = user_of  # request -> User | Response (the As-User check)
        self.node_of = node_of  # (request, kind) -> (User, Node) | Response

    def register(self, router: Router) -> None:
        router.add("GET", r"/2\.0/files/(?P<id>\d+)/collaborations", lambda r: self.collaborations(r, "file"))
        router.add("GET", r"/2\.0/folders/(?P<id>\d+)/collaborations", lambda r: self.collaborations(r, "folder"))
        router.add("POST", r"/2\.0/comments", self.comment)
        router.add("POST", r"/2\.0/collaborations", self.collaborate)

    def collaborations(self, request: Request, kind: str) -> Response:
        with self.store.lock:
            found = self.node_of(request, kind)
            if isinstance(found, Response):
                return found
            rows = list(found[1].collaborations)
        return marker_page(request, rows)

    def _item(self, user: User, item: Any, kinds: tuple[str, ...]) -> Node | Response:
        if not isinstance(item, dict) or item.get("type") not in kinds or not item.get("id"):
            return box_error(400, "bad_request", f"item needs an id and a type of {', '.join(kinds)}")
        node = user.nodes.get(str(item["id"]))
        if node is None or node.type != item["type"]:
            return box_error(404, "not_found", "Could not find the specified resource")
        return node

    def comment(self, request: Request) -> Response:
        user = self.user_of(request)
        if isinstance(user, Response):
            return user
        body = request.json()
        body = body if isinstance(body, dict) else {}
        text = body.get("message") or body.get("tagged_message")
        if not isinstance(text, str) or not text:
            return box_error(400, "bad_request", "message is required")
        item = body.get("item") or {}
        with self.store.lock:
            if isinstance(item, dict) and item.get("type") == "comment":
                parent = next((n for n in user.nodes.values() for c in n.comments if c["id"] == str(item.get("id"))),
                              None)
                if parent is None:
                    return box_error(404, "not_found", "Could not find the specified resource")
                node: Node | Response = parent
            else:
                node = self._item(user, item, ("file",))
            if isinstance(node, Response):
                return node
            row = {"type": "comment", "id": self.store.new_id(), "message": text,
                   "is_reply_comment": item.get("type") == "comment", "created_by": user_mini(user),
                   "created_at": now_iso(), "modified_at": now_iso(), "item": {"id": node.id, "type": "file"}}
            if body.get("tagged_message"):
                row["tagged_message"] = body["tagged_message"]
            node.comments.append(row)
            self.store.event(user, "COMMENT_CREATE", node)
            return json_response(201, row)

    def collaborate(self, request: Request) -> Response:
        user = self.user_of(request)
        if isinstance(user, Response):
            return user
        body = request.json()
        body = body if isinstance(body, dict) else {}
        role = str(body.get("role") or "")
        who = body.get("accessible_by") or {}
        if role not in ROLES:
            return box_error(400, "bad_request", f"Invalid value '{role}' for role")
        if not isinstance(who, dict) or who.get("type") not in ("user", "group") or not (who.get("id") or
                                                                                       who.get("login")):
            return box_error(400, "bad_request", "accessible_by needs a type (user or group) and an id or login")
        with self.store.lock:
            node = self._item(user, body.get("item"), ("file", "folder"))
            if isinstance(node, Response):
                return node
            if node.id == "0":
                return box_error(400, "bad_request", "The root folder cannot be shared")
            if who["type"] == "group":
                target: dict[str, Any] = {"type": "group", "id": str(who.get("id")), "name": str(who.get("id"))}
            else:
                member = self.store.user(user.enterprise, str(who.get("id") or who.get("login")))
                if member is None:
                    return box_error(403, "forbidden_by_policy",
                                     "Collaborating with users outside the enterprise is forbidden by policy")
                if member.id == user.id:
                    return box_error(400, "bad_request", "The owner of an item cannot be made a collaborator")
                target = user_mini(member)
            if any(c["accessible_by"].get("id") == target["id"] for c in node.collaborations):
                return box_error(409, "user_already_collaborator", "User is already a collaborator")
            row = collaboration_of(self.store, user, node, target, role)
            node.collaborations.append(row)
            self.store.event(user, "COLLAB_ADD_COLLABORATOR", node)
            return json_response(201, row)
