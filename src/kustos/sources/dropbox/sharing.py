"""Reading a Dropbox team's sharing metadata: members' shared folders, folder and file members, links.

Everything is read as a member (``Dropbox-API-Select-User``) and kept in a compact, stable form in
the items' meta (the order of the API's answer, no per-call noise):

- members (``sharing/list_folder_members[/continue]`` for a shared folder, ``sharing/list_file_members/batch``
  for files whose listing says ``has_explicit_shared_members``): ``{"users": [{"account_id", "email",
  "display_name", "access"}], "groups": [{"group_id", "group_name", "access"}], "invitees": [{"email",
  "access"}]}``;
- shared links (``sharing/list_shared_links`` without a path: every link of the member, paged by
  cursor): ``[{"url", "visibility", "audience", "access", "expires"}]`` keyed by the linked item's id;
- the shared folders a member mounted (``sharing/list_folders[/continue]``), without team folders
  (their own scopes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kustos.sources.dropbox.session import DropboxSession

BATCH = 100  # list_file_members/batch takes at most 100 files


def _tag(value: Any) -> str:
    return str(value.get(".tag", "")) if isinstance(value, Mapping) else ""


def members_of(raw: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """SharedFolderMembers / SharedFileMembers → the compact form (see the module docstring)."""
    users = [{"account_id": (row.get("user") or {}).get("account_id", ""), "email": (row.get("user") or {}).get(
        "email", ""), "display_name": (row.get("user") or {}).get("display_name", ""),
        "access": _tag(row.get("access_type"))} for row in raw.get("users") or [] if not row.get("is_inherited")]
    groups = [{"group_id": (row.get("group") or {}).get("group_id", ""),
               "group_name": (row.get("group") or {}).get("group_name", ""), "access": _tag(row.get("access_type"))}
              for row in raw.get("groups") or [] if not row.get("is_inherited")]
    invitees = [{"email": (row.get("invitee") or {}).get("email", ""), "access": _tag(row.get("access_type"))}
                for row in raw.get("invitees") or [] if not row.get("is_inherited")]
    return {"users": users, "groups": groups, "invitees": invitees}


def _merge(into: dict[str, list[dict[str, Any]]], more: Mapping[str, list[dict[str, Any]]]) -> None:
    for key in ("users", "groups", "invitees"):
        into[key].extend(more.get(key) or [])


def link_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    permissions = raw.get("link_permissions") or {}
    link = {"url": raw.get("url", ""), "visibility": _tag(permissions.get("resolved_visibility")),
            "audience": _tag(permissions.get("effective_audience")),
            "access": _tag(permissions.get("link_access_level"))}
    if raw.get("expires"):
        link["expires"] = raw["expires"]
    return link


class SharingReader:
    def __init__(self, session: DropboxSession) -> None:
        self.session = session

    def folder_members(self, shared_folder_id: str, member: str) -> dict[str, list[dict[str, Any]]]:
        page = self.session.call("sharing/list_folder_members", {"shared_folder_id": shared_folder_id, "limit": 1000},
                                 member=member)
        out = members_of(page)
        while page.get("cursor"):
            page = self.session.call("sharing/list_folder_members/continue", {"cursor": page["cursor"]}, member=member)
            _merge(out, members_of(page))
        return out

    def file_members(self, files: Iterable[str], member: str,
                     namespace: str | None) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Explicit members per file id (files the caller cannot see are left out)."""
        wanted = list(dict.fromkeys(files))
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.session.call("sharing/list_file_members/batch",
                                     {"files": wanted[start:start + BATCH], "limit": 1000},
                                     member=member, namespace=namespace)
            for row in rows or []:
                result = row.get("result") or {}
                if _tag(result) != "result":
                    continue
                raw = result.get("members") or {}
                members = members_of(raw)
                cursor = raw.get("cursor")
                while cursor:
                    more = self.session.call("sharing/list_file_members/continue", {"cursor": cursor}, member=member,
                                             namespace=namespace)
                    _merge(members, members_of(more))
                    cursor = more.get("cursor")
                out[str(row.get("file"))] = members
        return out

    def links(self, member: str, namespace: str | None) -> dict[str, list[dict[str, Any]]]:
        """The member's shared links by the linked item's id."""
        out: dict[str, list[dict[str, Any]]] = {}
        body: dict[str, Any] = {}
        while True:
            page = self.session.call("sharing/list_shared_links", body, member=member, namespace=namespace)
            for raw in page.get("links") or []:
                if raw.get("id"):
                    out.setdefault(str(raw["id"]), []).append(link_of(raw))
            if not page.get("has_more") or not page.get("cursor"):
                return out
            body = {"cursor": page["cursor"]}

    def mounted_folders(self, member: str) -> Iterator[dict[str, Any]]:
        """The shared folders this member mounted, team folders (and folders inside them) left out."""
        page = self.session.call("sharing/list_folders", {"limit": 1000}, member=member)
        while True:
            for row in page.get("entries") or []:
                if row.get("path_lower") and not row.get("is_team_folder") and not row.get("is_inside_team_folder"):
                    yield row
            if not page.get("cursor"):
                return
            page = self.session.call("sharing/list_folders/continue", {"cursor": page["cursor"]}, member=member)
