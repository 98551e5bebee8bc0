"""The Dropbox ``sharing/*`` routes of the emulator (faithful to ``sharing.stone``).

Shared folders (``share_folder``, ``mount_folder``, ``list_folders[/continue]``,
``list_folder_members[/continue]``, ``add_folder_member``), file members (``list_file_members``,
``list_file_members/batch``, ``add_file_member``) and shared links (``list_shared_links``,
``create_shared_link_with_settings``). Every route is called as a member (``Dropbox-API-Select-User``).
Members are users of the team (by e-mail or account id); any other e-mail address becomes an invitee.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from fakecloud.dropbox.errors import bad_request, path_not_found, route_error
from fakecloud.dropbox.store import Entry, Member, SharedFolder, Team
from fakecloud.web import Request, Response, Router, json_response

if TYPE_CHECKING:
    from fakecloud.dropbox.api import Context, DropboxService

PREFIX = "/dropbox/2/sharing/"
LEVELS = ("owner", "editor", "viewer", "viewer_no_comment", "traverse", "no_access")
AUDIENCES = {"public": "public", "team_only": "team", "password": "password"}  # requested visibility -> audience
VISIBILITY = {audience: visibility for visibility, audience in AUDIENCES.items()}
LINKS_PAGE = 100
BATCH_MAX = 100


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def error_of(response: Response) -> dict[str, Any]:
    """The body of an error answer this module made (always JSON bytes)."""
    assert isinstance(response.body, bytes)
    body: dict[str, Any] = json.loads(response.body)
    return body


def display(member: Member) -> str:
    return f"{member.given_name} {member.surname}".strip()


def user_info(team: Team, account_id: str) -> dict[str, Any]:
    member = next((m for m in team.members.values() if m.account_id == account_id), None)
    if member is None:
        return {"account_id": account_id, "email": "", "display_name": "", "same_team": False}
    return {"account_id": account_id, "email": member.email, "display_name": display(member), "same_team": True,
            "team_member_id": member.team_member_id}


def members_json(team: Team, users: dict[str, str], invitees: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    return {"users": [{"access_type": {".tag": level}, "user": user_info(team, account), "permissions": [],
                       "is_inherited": False} for account, level in users.items()],
            "groups": [],
            "invitees": [{"access_type": {".tag": level}, "invitee": {".tag": "email", "email": email},
                          "permissions": [], "is_inherited": False} for email, level in invitees.items()]}


def folder_json(team: Team, shared: SharedFolder, member: Member) -> dict[str, Any]:
    owner = next((m for m in team.members.values() if m.account_id == shared.owner), None)
    row: dict[str, Any] = {
        "access_type": {".tag": shared.users.get(member.account_id, "no_access")}, "is_inside_team_folder": False,
        "is_team_folder": False, "owner_display_names": [display(owner)] if owner else [],
        "owner_team": {"id": "dbtid:" + team.client_id, "name": team.name}, "name": shared.name,
        "policy": {"acl_update_policy": {".tag": "editors"}, "shared_link_policy": {".tag": "anyone"},
                   "member_policy": {".tag": "anyone"}, "resolved_member_policy": {".tag": "team"}},
        "preview_url": f"https://www.dropbox.com/scl/fo/{shared.shared_folder_id}", "shared_folder_id":
            shared.shared_folder_id, "time_invited": iso(shared.time_invited), "access_inheritance": {".tag": "inherit"}}
    mount = None
    for entry in member.namespace.entries.values():
        if entry.shared_folder_id == shared.shared_folder_id and not entry.deleted:
            mount = entry
    if mount is not None:
        row.update(path_lower=mount.path_lower, path_display=mount.path_display)
    return row


def link_json(team: Team, entry: Entry, link: dict[str, Any], caller: Member) -> dict[str, Any]:
    owner = team.members.get(link["owner"])
    row: dict[str, Any] = {
        ".tag": "folder" if entry.folder else "file", "url": link["url"], "id": entry.id, "name": entry.name,
        "link_permissions": {"resolved_visibility": {".tag": VISIBILITY.get(link["audience"], "public")},
                             "requested_visibility": {".tag": VISIBILITY.get(link["audience"], "public")},
                             "can_revoke": link["owner"] == caller.team_member_id,
                             "effective_audience": {".tag": link["audience"]},
                             "link_access_level": {".tag": link.get("access", "viewer")}},
        "team_member_info": {"team_info": {"id": "dbtid:" + team.client_id, "name": team.name},
                             "display_name": display(owner) if owner else "",
                             "member_id": link["owner"]}}
    if link["owner"] == caller.team_member_id:
        row["path_lower"] = entry.path_lower
    if link.get("expires"):
        row["expires"] = link["expires"]
    if not entry.folder:
        row.update(client_modified=iso(entry.client_modified), server_modified=iso(entry.server_modified),
                   rev=entry.rev, size=len(entry.content))
    return row


def _selector(value: Any) -> tuple[str, str] | None:
    """A MemberSelector: (``email`` | ``dropbox_id``, value)."""
    if not isinstance(value, dict) or value.get(".tag") not in ("email", "dropbox_id"):
        return None
    tag = str(value[".tag"])
    return (tag, str(value.get(tag) or "")) if value.get(tag) else None


def _level(value: Any, default: str = "viewer") -> str | None:
    tag = value.get(".tag") if isinstance(value, dict) else (value or default)
    return str(tag) if tag in LEVELS else None


class SharingRoutes:
    def __init__(self, service: DropboxService) -> None:
        self.service = service

    @property
    def store(self) -> Any:
        return self.service.store

    def register(self, router: Router) -> None:
        member = self.service.member_route
        for route, handler in (("share_folder", self.share_folder), ("mount_folder", self.mount_folder),
                               ("list_folders", self.list_folders), ("list_folders/continue", self.folders_continue),
                               ("list_folder_members", self.folder_members),
                               ("list_folder_members/continue", self.folder_members_continue),
                               ("add_folder_member", self.add_folder_member),
                               ("list_file_members", self.file_members),
                               ("list_file_members/batch", self.file_members_batch),
                               ("add_file_member", self.add_file_member),
                               ("list_shared_links", self.list_links),
                               ("create_shared_link_with_settings", self.create_link)):
            router.add("POST", PREFIX + route, member(handler))

    # --- shared folders ----------------------------------------------------------------------
    def _shared(self, ctx: Context, shared_folder_id: str, *, manage: bool = False) -> SharedFolder | Response:
        shared = ctx.team.shared_folders.get(shared_folder_id)
        if shared is None:
            return route_error({".tag": "access_error", "access_error": {".tag": "invalid_id"}})
        assert ctx.member is not None
        level = shared.users.get(ctx.member.account_id)
        if level is None:
            return route_error({".tag": "access_error", "access_error": {".tag": "not_a_member"}})
        if manage and level not in ("owner", "editor"):
            return route_error({".tag": "no_permission"})
        return shared

    def share_folder(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        assert ctx.member is not None
        path = str(args.get("path", ""))
        if ctx.shared or ctx.ns is not ctx.member.namespace:
            return route_error({".tag": "bad_path", "bad_path": {".tag": "inside_shared_folder"}})
        entry = ctx.ns.live(path.lower())
        if entry is None:
            inner, _ = self.store.resolve(ctx.team, ctx.ns, path)
            if inner is not ctx.ns:
                return route_error({".tag": "bad_path", "bad_path": {".tag": "inside_shared_folder"}})
            return route_error({".tag": "bad_path", "bad_path": {".tag": "invalid_path"}})
        if not entry.folder:
            return route_error({".tag": "bad_path", "bad_path": {".tag": "is_file"}})
        if entry.shared_folder_id:
            existing = ctx.team.shared_folders[entry.shared_folder_id]
            return route_error({".tag": "bad_path", "bad_path": {
                ".tag": "already_shared", "already_shared": folder_json(ctx.team, existing, ctx.member)}})
        if any(e.shared_folder_id and e.path_lower.startswith(entry.path_lower + "/") and not e.deleted
               for e in ctx.ns.entries.values()):
            return route_error({".tag": "bad_path", "bad_path": {".tag": "contains_shared_folder"}})
        shared = self.store.share(ctx.team, ctx.member, entry)
        return json_response(200, {".tag": "complete", **folder_json(ctx.team, shared, ctx.member)})

    def mount_folder(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._shared(ctx, str(args.get("shared_folder_id", "")))
        if isinstance(found, Response):
            return found
        assert ctx.member is not None
        if self.store.mount_point(ctx.member, found.shared_folder_id) is not None:
            return route_error({".tag": "already_mounted"})
        self.store.mount(ctx.member, found)
        return json_response(200, folder_json(ctx.team, found, ctx.member))

    def _folders_page(self, ctx: Context, start: int, limit: int) -> Response:
        assert ctx.member is not None
        mine = [f for f in sorted(ctx.team.shared_folders.values(), key=lambda f: f.shared_folder_id)
                if ctx.member.account_id in f.users]
        page = mine[start:start + limit]
        body: dict[str, Any] = {"entries": [folder_json(ctx.team, f, ctx.member) for f in page]}
        if start + limit < len(mine):
            body["cursor"] = encode({"folders": start + limit, "limit": limit})
        return json_response(200, body)

    def list_folders(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        limit = int(args.get("limit") or 1000)
        if not 1 <= limit <= 1000:
            return bad_request(f"limit: {limit} is not within [1, 1000]")
        return self._folders_page(ctx, 0, limit)

    def folders_continue(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        cursor = decode(str(args.get("cursor", "")))
        if cursor is None or "folders" not in cursor:
            return route_error({".tag": "invalid_cursor"})
        return self._folders_page(ctx, int(cursor["folders"]), int(cursor["limit"]))

    def _members_page(self, ctx: Context, shared: SharedFolder, start: int, limit: int) -> Response:
        rows = [("user", k, v) for k, v in shared.users.items()] + [("invitee", k, v) for k, v in shared.invitees.items()]
        page = rows[start:start + limit]
        body: dict[str, Any] = members_json(ctx.team, {k: v for t, k, v in page if t == "user"},
                                            {k: v for t, k, v in page if t == "invitee"})
        if start + limit < len(rows):
            body["cursor"] = encode({"shared_folder_id": shared.shared_folder_id, "members": start + limit,
                                     "limit": limit})
        return json_response(200, body)

    def folder_members(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        limit = int(args.get("limit") or 1000)
        if not 1 <= limit <= 1000:
            return bad_request(f"limit: {limit} is not within [1, 1000]")
        found = self._shared(ctx, str(args.get("shared_folder_id", "")))
        if isinstance(found, Response):
            return self._access_error(found)
        return self._members_page(ctx, found, 0, limit)

    @staticmethod
    def _access_error(response: Response) -> Response:
        """``list_folder_members`` answers a bare SharedFolderAccessError (not inside ``access_error``)."""
        body = error_of(response)
        inner = body["error"].get("access_error") or body["error"]
        return route_error(inner)

    def folder_members_continue(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        cursor = decode(str(args.get("cursor", "")))
        if cursor is None or "members" not in cursor:
            return route_error({".tag": "invalid_cursor"})
        found = self._shared(ctx, str(cursor.get("shared_folder_id", "")))
        if isinstance(found, Response):
            return route_error({".tag": "access_error", "access_error": error_of(found)["error"].get(
                "access_error", {".tag": "invalid_id"})})
        return self._members_page(ctx, found, int(cursor["members"]), int(cursor["limit"]))

    def _add(self, team: Team, users: dict[str, str], invitees: dict[str, str],
             selector: tuple[str, str], level: str) -> dict[str, Any] | None:
        """Add one member (a team member by e-mail or account id, else an invitee by e-mail); an
        AddMemberSelectorError when the selector names nobody."""
        tag, value = selector
        member = self.store.member(team, value)
        if member is not None:
            if users.get(member.account_id) != "owner":
                users[member.account_id] = level
            return None
        if tag == "dropbox_id":
            return {".tag": "invalid_dropbox_id", "invalid_dropbox_id": value}
        if "@" not in value:
            return {".tag": "invalid_email", "invalid_email": value}
        invitees[value.lower()] = level
        return None

    def add_folder_member(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._shared(ctx, str(args.get("shared_folder_id", "")), manage=True)
        if isinstance(found, Response):
            return found
        members = args.get("members")
        if not isinstance(members, list) or not members:
            return bad_request("members: expected a non-empty list")
        for row in members:
            selector = _selector((row or {}).get("member")) if isinstance(row, dict) else None
            level = _level(row.get("access_level")) if isinstance(row, dict) else None
            if selector is None or level is None:
                return bad_request(f"members: invalid AddMember {row!r}")
            if level == "owner":
                return bad_request("members: access_level owner is not allowed for add_folder_member")
            error = self._add(ctx.team, found.users, found.invitees, selector, level)
            if error is not None:
                return route_error({".tag": "bad_member", "bad_member": error})
        return json_response(200, None)

    # --- file members ------------------------------------------------------------------------
    def _file(self, ctx: Context, path: str) -> Entry | Response:
        entry = self.service._entry(ctx, path)
        if entry is None:
            return route_error({".tag": "access_error", "access_error": {".tag": "invalid_file"}})
        if entry.folder:
            return route_error({".tag": "access_error", "access_error": {".tag": "is_folder"}})
        return entry

    def file_members(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._file(ctx, str(args.get("file", "")))
        if isinstance(found, Response):
            return found
        return json_response(200, members_json(ctx.team, found.users, found.invitees))

    def file_members_batch(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return bad_request("files: expected a non-empty list")
        if len(files) > BATCH_MAX:
            return bad_request(f"files: list has more than {BATCH_MAX} items")
        limit = int(args.get("limit") or 1000)
        if not 0 <= limit <= 3000:
            return bad_request(f"limit: {limit} is not within [0, 3000]")
        out = []
        home, shared = ctx.ns, ctx.shared
        for ref in files:
            ctx.ns, ctx.shared = home, shared
            found = self._file(ctx, str(ref))
            if isinstance(found, Response):
                error = error_of(found)["error"]
                out.append({"file": ref, "result": {".tag": "access_error", "access_error": error["access_error"]}})
                continue
            members = members_json(ctx.team, found.users, found.invitees)
            count = len(members["users"]) + len(members["invitees"])
            out.append({"file": ref, "result": {".tag": "result", "members": members, "member_count": count}})
        return json_response(200, out)

    def add_file_member(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._file(ctx, str(args.get("file", "")))
        if isinstance(found, Response):
            return found
        level = _level(args.get("access_level"))
        if level is None or level == "owner":
            return bad_request(f"access_level: {args.get('access_level')!r} is not allowed")
        members = args.get("members")
        if not isinstance(members, list) or not members:
            return bad_request("members: expected a non-empty list")
        results = []
        for value in members:
            selector = _selector(value)
            if selector is None:
                return bad_request(f"members: invalid MemberSelector {value!r}")
            error = self._add(ctx.team, found.users, found.invitees, selector, level)
            result = {".tag": "member_error", "member_error": {".tag": "invalid_member"}} if error else \
                {".tag": "success", "success": {".tag": level}}
            results.append({"member": value, "result": result})
        return json_response(200, results)

    # --- shared links ------------------------------------------------------------------------
    def create_link(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        assert ctx.member is not None
        entry = self.service._entry(ctx, str(args.get("path", "")))
        if entry is None:
            return route_error({".tag": "path", "path": {".tag": "not_found"}})
        settings = args.get("settings") or {}
        existing = next((link for link in entry.links if link["owner"] == ctx.member.team_member_id), None)
        if existing is not None:
            return route_error({".tag": "shared_link_already_exists", "shared_link_already_exists": {
                ".tag": "metadata", "metadata": link_json(ctx.team, entry, existing, ctx.member)}})
        audience = (settings.get("audience") or {}).get(".tag") or \
            AUDIENCES.get((settings.get("requested_visibility") or {}).get(".tag", "public"), "public")
        link = {"url": f"https://www.dropbox.com/scl/fi/{secrets.token_urlsafe(9)}/{entry.name}?rlkey=x&dl=0",
                "owner": ctx.member.team_member_id, "audience": str(audience),
                "access": (settings.get("access") or {}).get(".tag", "viewer"), "expires": settings.get("expires")}
        entry.links.append(link)
        return json_response(200, link_json(ctx.team, entry, link, ctx.member))

    def list_links(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        assert ctx.member is not None
        path = args.get("path")
        if path:
            entry = self.service._entry(ctx, str(path))
            if entry is None:
                return path_not_found()
            chain = [entry]
            if not args.get("direct_only"):
                parts = entry.path_lower.strip("/").split("/")
                chain += [e for e in (ctx.ns.live("/" + "/".join(parts[:n])) for n in range(1, len(parts))) if e]
            rows = [link_json(ctx.team, e, link, ctx.member) for e in chain for link in e.links]
            return json_response(200, {"links": rows, "has_more": False})
        start = 0
        if args.get("cursor"):
            cursor = decode(str(args["cursor"]))
            if cursor is None or "links" not in cursor:
                return route_error({".tag": "reset"})
            start = int(cursor["links"])
        mine = [(e, link) for e in sorted(ctx.ns.entries.values(), key=lambda e: e.path_lower) if not e.deleted
                for link in e.links if link["owner"] == ctx.member.team_member_id]
        page = mine[start:start + LINKS_PAGE]
        more = start + LINKS_PAGE < len(mine)
        body: dict[str, Any] = {"links": [link_json(ctx.team, e, link, ctx.member) for e, link in page],
                                "has_more": more}
        if more:
            body["cursor"] = encode({"links": start + LINKS_PAGE})
        return json_response(200, body)
