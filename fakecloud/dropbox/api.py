"""The Dropbox API routes of the emulator (team app: team token, as-member calls).

RPC routes take a JSON body; content routes (``files/download``, ``files/upload``) take their
argument in the ``Dropbox-API-Arg`` header and answer the metadata in ``Dropbox-API-Result``. A team
token works on a member's Dropbox only with ``Dropbox-API-Select-User`` (or ``-Select-Admin``); a team
folder is reached with ``Dropbox-API-Path-Root: {".tag": "namespace_id", ...}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from fakecloud.dropbox.errors import bad_request, invalid_token, path_not_found, route_error
from fakecloud.dropbox.properties_api import PropertyRoutes
from fakecloud.dropbox.sharing_api import SharingRoutes
from fakecloud.dropbox.store import DropboxStore, Entry, Member, Namespace, Team
from fakecloud.web import Request, Response, Router, json_response

#: Every route lives below this prefix (api.dropboxapi.com and content.dropboxapi.com share one host
#: here; ``/oauth2/token`` would collide with other emulated services).
PREFIX = "/dropbox"
MAX_PAGE = 2000
UPLOAD_LIMIT = 150 * 1024 * 1024  # files/upload takes at most 150 MiB; larger files need a session
MEMBERS_PAGE = 1000
SELECT_USER_NEEDED = ("This API function operates on a single Dropbox account, but the OAuth 2 access token you "
                      "provided is for an entire Dropbox Business team. Since your API app key has team member file "
                      "access permissions, you can operate on a team member's Dropbox by providing the "
                      "\"Dropbox-API-Select-User\" HTTP header or \"select_user\" URL parameter.")


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError("cursor") from None
    if not isinstance(value, dict):
        raise ValueError("cursor")
    return value


def metadata(entry: Entry, ns: Namespace, shared: bool, modified_by: str = "",
             listing: dict[str, Any] | None = None) -> dict[str, Any]:
    """File, folder or deleted metadata; ``listing`` carries ``list_folder``'s options
    (``explicit``: include_has_explicit_shared_members, ``props``: the template ids of
    include_property_groups)."""
    if entry.deleted:
        return {".tag": "deleted", "name": entry.name, "path_lower": entry.path_lower,
                "path_display": entry.path_display}
    row: dict[str, Any] = {".tag": "folder" if entry.folder else "file", "name": entry.name, "id": entry.id,
                           "path_lower": entry.path_lower, "path_display": entry.path_display}
    if entry.folder:
        if shared:
            row["sharing_info"] = {"read_only": False, "parent_shared_folder_id": ns.id, "traverse_only": False,
                                   "no_access": False}
        elif entry.shared_folder_id:  # a shared folder's mount point
            row["sharing_info"] = {"read_only": False, "shared_folder_id": entry.shared_folder_id,
                                   "traverse_only": False, "no_access": False}
        return row
    row.update({"client_modified": iso(entry.client_modified), "server_modified": iso(entry.server_modified),
                "rev": entry.rev, "size": len(entry.content), "is_downloadable": True,
                "content_hash": entry.content_hash})
    if shared:
        row["sharing_info"] = {"read_only": False, "parent_shared_folder_id": ns.id,
                               **({"modified_by": modified_by} if modified_by else {})}
    if listing and listing.get("explicit"):
        row["has_explicit_shared_members"] = bool(entry.users or entry.invitees)
    if listing and listing.get("props") is not None:
        row["property_groups"] = [{"template_id": tid, "fields": [{"name": k, "value": v} for k, v in values.items()]}
                                  for tid, values in entry.properties.items() if tid in listing["props"]]
    return row


class Context:
    def __init__(self, team: Team, ns: Namespace, member: Member | None, shared: bool) -> None:
        self.team, self.ns, self.member, self.shared = team, ns, member, shared
        self.path = ""


class DropboxService:
    def __init__(self, store: Callable[[], DropboxStore]) -> None:
        self._store = store

    @property
    def store(self) -> DropboxStore:
        return self._store()

    def register(self, router: Router) -> None:
        router.add("POST", PREFIX + r"/oauth2/token", self.token)
        router.add("POST", PREFIX + r"/2/team/members/list(?:_v2)?", self.team_route(self.members_list))
        router.add("POST", PREFIX + r"/2/team/members/list(?:_v2)?/continue", self.team_route(self.members_continue))
        router.add("POST", PREFIX + r"/2/team/team_folder/list", self.team_route(self.folders_list))
        router.add("POST", PREFIX + r"/2/team/team_folder/list/continue", self.team_route(self.folders_continue))
        router.add("POST", PREFIX + r"/2/files/list_folder", self.member_route(self.list_folder))
        router.add("POST", PREFIX + r"/2/files/list_folder/continue", self.member_route(self.list_continue))
        router.add("POST", PREFIX + r"/2/files/get_metadata", self.member_route(self.get_metadata))
        router.add("POST", PREFIX + r"/2/files/create_folder_v2", self.member_route(self.create_folder))
        router.add("POST", PREFIX + r"/2/files/download", self.member_route(self.download, content=True))
        router.add("POST", PREFIX + r"/2/files/upload", self.member_route(self.upload, content=True))
        router.add("POST", PREFIX + r"/2/files/upload_session/start", self.member_route(self.session_start, content=True))
        router.add("POST", PREFIX + r"/2/files/upload_session/append_v2",
                   self.member_route(self.session_append, content=True))
        router.add("POST", PREFIX + r"/2/files/upload_session/finish",
                   self.member_route(self.session_finish, content=True))
        router.add("POST", PREFIX + r"/2/auth/token/revoke", self.revoke)
        SharingRoutes(self).register(router)
        PropertyRoutes(self).register(router)

    # --- OAuth 2 ---------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = request.form()
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        auth = request.headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                pass
        grant = form.get("grant_type", "")
        with self.store.lock:
            team = self.store.app(client_id)
            # a refresh token from the PKCE code flow is exchanged without the app secret
            pkce = grant == "refresh_token" and not client_secret
            if team is None or (team.client_secret != client_secret and not pkce):
                return json_response(400, {"error": "invalid_client", "error_description": "Invalid client_id or "
                                                                                         "client_secret"})
            if grant == "refresh_token":
                if not team.refresh_token or form.get("refresh_token") != team.refresh_token:
                    return json_response(400, {"error": "invalid_grant", "error_description": "refresh token is "
                                                                                            "invalid or revoked"})
            elif grant != "client_credentials":
                return json_response(400, {"error": "unsupported_grant_type",
                                           "error_description": f"unsupported grant_type {grant!r}"})
            scopes = set(form.get("scope", "").split()) or None  # a token limited to some of the app's scopes
            token, lifetime = self.store.issue(team, refreshed=grant == "refresh_token", scopes=scopes)
        return json_response(200, {"access_token": token, "token_type": "bearer", "expires_in": lifetime})

    def revoke(self, request: Request) -> Response:
        """``auth/token/revoke``: the access token (and the refresh token it came from) is revoked."""
        with self.store.lock:
            if self._team(request) is None:
                return invalid_token()
            self.store.revoke(request.bearer() or "")
        return json_response(200, None)

    # --- plumbing --------------------------------------------------------------------------
    def _team(self, request: Request) -> Team | None:
        return self.store.team_for(request.bearer())

    def team_route(self, handler: Callable[[Request, Team, dict[str, Any]], Response]) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            with self.store.lock:
                team = self._team(request)
                if team is None:
                    return invalid_token()
                try:
                    args = request.json()
                except ValueError:
                    return bad_request("request body: could not decode input as JSON")
                return handler(request, team, args if isinstance(args, dict) else {})
        return wrapped

    def member_route(self, handler: Callable[[Request, Context, dict[str, Any]], Response],
                     content: bool = False) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            with self.store.lock:
                team = self._team(request)
                if team is None:
                    return invalid_token()
                try:
                    args = json.loads(request.headers.get("dropbox-api-arg") or "{}") if content else request.json()
                except ValueError:
                    return bad_request("could not decode the argument as JSON")
                selected = request.headers.get("dropbox-api-select-user") or request.arg("select_user") or \
                    request.headers.get("dropbox-api-select-admin")
                if not selected:
                    return bad_request(SELECT_USER_NEEDED)
                member = team.members.get(selected)
                if member is None:
                    return bad_request(f"Invalid select user id format or no such member: {selected!r}")
                ns, shared = member.namespace, False
                root = request.headers.get("dropbox-api-path-root")
                if root:
                    try:
                        root_arg = json.loads(root)
                    except ValueError:
                        return bad_request("Dropbox-API-Path-Root is not JSON")
                    if root_arg.get(".tag") == "namespace_id":
                        found = self.store.namespace(team, str(root_arg.get("namespace_id", "")))
                        if found is None:
                            return route_error({".tag": "invalid_root", "invalid_root": {".tag": "team"}}, 422)
                        shared_folder = team.shared_folders.get(found.id)
                        if shared_folder is not None and member.account_id not in shared_folder.users:
                            return route_error({".tag": "no_permission"}, 422)
                        ns, shared = found, found is not member.namespace
                return handler(request, Context(team, ns, member, shared), args if isinstance(args, dict) else {})
        return wrapped

    # --- team --------------------------------------------------------------------------------
    @staticmethod
    def _member_json(member: Member) -> dict[str, Any]:
        profile = {"team_member_id": member.team_member_id, "account_id": member.account_id, "email": member.email,
                   "email_verified": True, "status": {".tag": "active"}, "membership_type": {".tag": "full"},
                   "name": {"given_name": member.given_name, "surname": member.surname,
                            "familiar_name": member.given_name,
                            "display_name": f"{member.given_name} {member.surname}".strip(),
                            "abbreviated_name": (member.given_name[:1] + member.surname[:1]).upper()},
                   "groups": [], "member_folder_id": member.namespace.id,
                   "root_folder_id": member.namespace.id}
        role = {".tag": "team_admin" if member.admin else "member_only"}
        return {"profile": profile, "role": role}

    def _members_page(self, team: Team, start: int, limit: int) -> Response:
        members = sorted(team.members.values(), key=lambda m: m.email)
        page = members[start:start + limit]
        more = start + limit < len(members)
        return json_response(200, {"members": [self._member_json(m) for m in page],
                                   "cursor": _encode({"members": start + limit, "limit": limit}), "has_more": more})

    def members_list(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        limit = int(args.get("limit", MEMBERS_PAGE))
        if not 1 <= limit <= MEMBERS_PAGE:
            return bad_request(f"limit: {limit} is not within [1, {MEMBERS_PAGE}]")
        return self._members_page(team, 0, limit)

    def members_continue(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        try:
            cursor = _decode(str(args.get("cursor", "")))
            return self._members_page(team, int(cursor["members"]), int(cursor["limit"]))
        except (ValueError, KeyError, TypeError):
            return route_error({".tag": "invalid_cursor"})

    def _folders_page(self, team: Team, start: int, limit: int) -> Response:
        folders = sorted(team.team_folders.values(), key=lambda f: f.name.lower())
        page = folders[start:start + limit]
        rows = [{"team_folder_id": f.team_folder_id, "name": f.name, "status": {".tag": "active"},
                 "is_team_shared_dropbox": False, "sync_setting": {".tag": "default"}, "content_sync_settings": []}
                for f in page]
        return json_response(200, {"team_folders": rows, "cursor": _encode({"folders": start + limit,
                                                                            "limit": limit}),
                                   "has_more": start + limit < len(folders)})

    def folders_list(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        return self._folders_page(team, 0, int(args.get("limit", 1000)))

    def folders_continue(self, request: Request, team: Team, args: dict[str, Any]) -> Response:
        try:
            cursor = _decode(str(args.get("cursor", "")))
            return self._folders_page(team, int(cursor["folders"]), int(cursor["limit"]))
        except (ValueError, KeyError, TypeError):
            return route_error({".tag": "invalid_cursor"})

    # --- files -------------------------------------------------------------------------------
    def _entry(self, ctx: Context, path: str) -> Entry | None:
        """The live entry at ``path`` (or ``id:...``); a path below a shared folder's mount point
        resolves into the shared folder (``ctx`` then names that namespace)."""
        if path.startswith("id:"):
            for ns in [ctx.ns, *(f.namespace for f in ctx.team.shared_folders.values()
                                 if ctx.member is not None and ctx.member.account_id in f.users)]:
                found = next((e for e in ns.entries.values() if e.id == path and not e.deleted), None)
                if found is not None:
                    ctx.ns, ctx.shared = ns, ctx.shared or ns is not ctx.ns
                    return found
            return None
        self.resolve(ctx, path)
        return ctx.ns.live(ctx.path.lower())

    def resolve(self, ctx: Context, path: str) -> None:
        """Point ``ctx`` at the namespace of ``path`` (``ctx.path``: the path inside it)."""
        ns, inner = self.store.resolve(ctx.team, ctx.ns, path)
        ctx.shared = ctx.shared or ns is not ctx.ns
        ctx.ns, ctx.path = ns, inner

    def _page(self, ctx: Context, cursor: dict[str, Any]) -> Response:
        ns = ctx.ns
        base = str(cursor["path"])
        limit = min(int(cursor.get("limit") or MAX_PAGE), self.store.page_limit or MAX_PAGE)
        initial = bool(cursor.get("initial"))
        after = int(cursor["seq"])

        def below(entry: Entry) -> bool:
            if not entry.path_lower.startswith(base + "/"):
                return False
            return bool(cursor.get("recursive")) or "/" not in entry.path_lower[len(base) + 1:]

        rows = sorted((e for e in ns.entries.values() if e.seq > after and below(e) and not (initial and e.deleted)),
                      key=lambda e: e.seq)
        page, more = rows[:limit], len(rows) > limit
        seq = page[-1].seq if more else ns.seq
        modified_by = ctx.member.account_id if ctx.member and ctx.shared else ""
        next_cursor = {**cursor, "seq": seq, "initial": initial and more}
        listing = {"explicit": cursor.get("explicit"), "props": cursor.get("props")}
        return json_response(200, {"entries": [metadata(e, ns, ctx.shared, modified_by, listing) for e in page],
                                   "cursor": _encode(next_cursor), "has_more": more})

    def list_folder(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        path = str(args.get("path", ""))
        if path == "/" or (path and not path.startswith(("/", "id:"))):
            return bad_request(f"path: '{path}' did not match pattern '(/(.|[\\r\\n])*)?|id:.*|(ns:[0-9]+(/.*)?)'")
        base = ""
        if path:
            entry = self._entry(ctx, path)
            if entry is None:
                return path_not_found()
            if not entry.folder:
                return route_error({".tag": "path", "path": {".tag": "not_folder"}})
            base = entry.path_lower
        limit = int(args.get("limit") or MAX_PAGE)
        if not 1 <= limit <= MAX_PAGE:
            return bad_request(f"limit: {limit} is not within [1, {MAX_PAGE}]")
        props = args.get("include_property_groups")
        template_ids = None
        if props is not None:
            if not isinstance(props, dict) or props.get(".tag") != "filter_some" or not props.get("filter_some"):
                return bad_request("include_property_groups: expected filter_some with at least one template id")
            template_ids = [str(t) for t in props["filter_some"]]
            missing = [t for t in template_ids if t not in ctx.team.templates]
            if missing:
                return route_error({".tag": "template_error", "template_error": {
                    ".tag": "template_not_found", "template_not_found": missing[0]}})
        return self._page(ctx, {"ns": ctx.ns.id, "path": base, "recursive": bool(args.get("recursive")),
                                "seq": 0, "gen": ctx.ns.generation, "initial": True, "limit": limit,
                                "member": ctx.member.team_member_id if ctx.member else "",
                                "explicit": bool(args.get("include_has_explicit_shared_members")),
                                "props": template_ids})

    def list_continue(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        try:
            cursor = _decode(str(args.get("cursor", "")))
            cursor["seq"] = int(cursor["seq"])
        except (ValueError, KeyError, TypeError):
            return bad_request("cursor: invalid cursor")
        if str(cursor.get("ns")) != ctx.ns.id:
            return bad_request("cursor: the cursor belongs to another account or namespace")
        if int(cursor.get("gen", -1)) != ctx.ns.generation:
            return route_error({".tag": "reset"})
        if cursor["path"] and ctx.ns.live(str(cursor["path"])) is None:
            return path_not_found()
        return self._page(ctx, cursor)

    def get_metadata(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        entry = self._entry(ctx, str(args.get("path", "")))
        if entry is None:
            return path_not_found()
        return json_response(200, metadata(entry, ctx.ns, ctx.shared))

    def create_folder(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        self.resolve(ctx, "/" + str(args.get("path", "")).strip("/"))
        path = "/" + ctx.path.strip("/")
        if path == "/":
            return route_error({".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": "folder"}}})
        existing = ctx.ns.live(path.lower())
        if existing is not None:
            conflict = "folder" if existing.folder else "file"
            return route_error({".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": conflict}}})
        try:
            entry = self.store.ensure_folder(ctx.ns, path)
        except ValueError:
            return route_error({".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": "file"}}})
        assert entry is not None
        return json_response(200, {"metadata": metadata(entry, ctx.ns, ctx.shared)})

    def download(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        entry = self._entry(ctx, str(args.get("path", "")))
        if entry is None:
            return path_not_found()
        if entry.folder:
            return route_error({".tag": "path", "path": {".tag": "not_file"}})
        result = json.dumps(metadata(entry, ctx.ns, ctx.shared), ensure_ascii=True)
        return Response(200, entry.content, {"Content-Type": "application/octet-stream",
                                             "Dropbox-API-Result": result})

    def upload(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        if len(request.body) > UPLOAD_LIMIT:
            return route_error({".tag": "payload_too_large"})
        return self._commit(ctx, args, request.body)

    # --- upload sessions (files above 150 MiB) -------------------------------------------
    def session_start(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        session_id = "pid_upload_session:" + secrets.token_urlsafe(12)
        self.store.sessions[session_id] = bytearray(request.body)
        return json_response(200, {"session_id": session_id})

    def _session(self, args: dict[str, Any], body: bytes, finish: bool = False) -> bytearray | Response:
        """The session's bytes with ``body`` appended; a lookup error (UploadSessionLookupError, inside
        ``lookup_failed`` for finish) when the session is unknown or the offset is not its length."""
        cursor = args.get("cursor") or {}
        data = self.store.sessions.get(str(cursor.get("session_id", "")))
        error: dict[str, Any] | None = None
        if data is None:
            error = {".tag": "not_found"}
        elif int(cursor.get("offset", -1)) != len(data):
            error = {".tag": "incorrect_offset", "correct_offset": len(data)}
        if error is not None:
            return route_error({".tag": "lookup_failed", "lookup_failed": error} if finish else error)
        assert data is not None
        data += body
        return data

    def session_append(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._session(args, request.body)
        return found if isinstance(found, Response) else json_response(200, None)

    def session_finish(self, request: Request, ctx: Context, args: dict[str, Any]) -> Response:
        found = self._session(args, request.body, finish=True)
        if isinstance(found, Response):
            return found
        del self.store.sessions[str(args["cursor"]["session_id"])]
        return self._commit(ctx, dict(args.get("commit") or {}), bytes(found), session=True)

    def _commit(self, ctx: Context, args: dict[str, Any], body: bytes, session: bool = False) -> Response:
        conflict = self._session_conflict if session else self._conflict
        path = str(args.get("path", ""))
        if not path.startswith("/") or path.endswith("/"):
            return bad_request(f"path: '{path}' did not match pattern '(/(.|[\\r\\n])*)|(ns:[0-9]+(/.*)?)|(id:.*)'")
        self.resolve(ctx, path)
        path = ctx.path
        mode = args.get("mode", "add")
        mode_tag = mode.get(".tag") if isinstance(mode, dict) else str(mode)
        existing = ctx.ns.live(path.lower())
        if existing is not None and existing.folder:
            return conflict("folder")
        if existing is not None and mode_tag == "add":
            if existing.content == body and not args.get("strict_conflict"):
                return json_response(200, metadata(existing, ctx.ns, ctx.shared))
            if not args.get("autorename"):
                return conflict("file")
            path = self._free_name(ctx.ns, path)
        elif existing is not None and mode_tag == "update" and isinstance(mode, dict) and \
                mode.get("update") != existing.rev:
            if not args.get("autorename"):
                return conflict("file")
            path = self._free_name(ctx.ns, path)
        try:
            entry = self.store.put_file(ctx.ns, path, body)
        except ValueError:
            return conflict("file")
        return json_response(200, metadata(entry, ctx.ns, ctx.shared))

    @staticmethod
    def _conflict(what: str) -> Response:
        return route_error({".tag": "path", "reason": {".tag": "conflict", "conflict": {".tag": what}},
                            "upload_session_id": "pid_upload_session:fake"})

    @staticmethod
    def _session_conflict(what: str) -> Response:
        return route_error({".tag": "path", "path": {".tag": "conflict", "conflict": {".tag": what}}})

    @staticmethod
    def _free_name(ns: Namespace, path: str) -> str:
        folder, _, name = path.rpartition("/")
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = name, "", ""
        n = 1
        while True:
            candidate = f"{folder}/{stem} ({n}){dot}{ext}"
            if ns.live(candidate.lower()) is None:
                return candidate
            n += 1
