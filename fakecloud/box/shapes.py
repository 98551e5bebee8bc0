"""JSON shapes of Box objects (File, Folder, User, Comment, Collaboration) as the OpenAPI names their fields."""

from __future__ import annotations

from typing import Any

from fakecloud.box.store import BoxStore, Node, User


def mini(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"type": node.type, "id": node.id, "sequence_id": str(node.sequence),
                           "etag": str(node.etag), "name": node.name}
    if node.type == "file":
        out["sha1"] = node.sha1
        out["file_version"] = {"type": "file_version", "id": node.version, "sha1": node.sha1}
    return out


def full(store: BoxStore, user: User, node: Node) -> dict[str, Any]:
    chain = store.path_of(user, node)
    out = mini(node)
    out.update({
        "description": "", "size": len(node.content) if node.type == "file" else _folder_size(user, node),
        "path_collection": {"total_count": len(chain), "entries": [mini(p) for p in chain]},
        "created_at": node.created, "modified_at": node.modified, "content_created_at": node.created,
        "content_modified_at": node.modified, "trashed_at": None, "purged_at": None,
        "created_by": user_mini(user), "modified_by": user_mini(user), "owned_by": user_mini(user),
        "parent": mini(chain[-1]) if chain else None, "item_status": "active"})
    if node.type == "file":
        out["extension"] = node.name.rsplit(".", 1)[-1] if "." in node.name else ""
        out["comment_count"] = len(node.comments)
    return out


def user_mini(user: User) -> dict[str, Any]:
    return {"type": "user", "id": user.id, "name": user.name, "login": user.login}


def user_full(user: User) -> dict[str, Any]:
    return {**user_mini(user), "status": "active", "role": "user", "created_at": "2026-01-01T00:00:00+00:00",
            "modified_at": "2026-01-01T00:00:00+00:00", "language": "en", "timezone": "UTC",
            "space_amount": 10 ** 12, "space_used": sum(len(n.content) for n in user.nodes.values())}


def _folder_size(user: User, folder: Node) -> int:
    total, stack = 0, [folder.id]
    while stack:
        current = stack.pop()
        for node in user.nodes.values():
            if node.parent == current:
                total += len(node.content)
                if node.type == "folder":
                    stack.append(node.id)
    return total


def pick(obj: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """``fields=a,b``: only those (plus type, id, and etag when present), as Box answers."""
    if not fields:
        return obj
    wanted = {f.strip() for f in fields.split(",") if f.strip()} | {"type", "id", "etag"}
    return {k: v for k, v in obj.items() if k in wanted}
