"""The generic control API for service ``dropbox`` (kind ``file``).

``tenant`` names the team (created on first use); ``account`` is a member's e-mail address (the
member is created on first use; the first member is the team admin) or ``teamfolder:<name>`` for a
team folder, or ``sharedfolder:<name>`` for a shared folder (a path in a member's home below a
shared folder's mount point lies in the shared folder). ``path`` is ``/``-separated with a leading slash; ``meta={"folder": true}`` seeds an
empty folder. ``credentials`` answers the team app's settings: ``app_key``, ``app_secret`` (the
kind's secret), ``endpoint`` and ``refresh_token`` (the team's long-lived refresh token, as the
admin's OAuth code flow would give it; ``auth/token/revoke`` with a token from it revokes it).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from fakecloud.dropbox.api import PREFIX
from fakecloud.dropbox.store import DropboxStore, Namespace, Team

TEAM_FOLDER = "teamfolder:"
SHARED_FOLDER = "sharedfolder:"


class DropboxSeeder:
    def __init__(self, store: DropboxStore) -> None:
        self.store = store

    def _namespace(self, team: Team, account: str, create: bool = True) -> Namespace:
        if account.lower().startswith(TEAM_FOLDER):
            return self.store.team_folder(team, account[len(TEAM_FOLDER):]).namespace
        if account.lower().startswith(SHARED_FOLDER):
            name = account[len(SHARED_FOLDER):].lower()
            found = next((f for f in team.shared_folders.values() if f.name.lower() == name), None)
            if found is None:
                raise KeyError(f"no shared folder {name!r} in team {team.name!r}")
            return found.namespace
        member = self.store.member(team, account)
        if member is None:
            if not create:
                raise KeyError(f"no member {account!r} in team {team.name!r}")
            member = self.store.add_member(team, account)
        return member.namespace

    def credentials(self, args: dict[str, Any], base_url: str) -> dict[str, Any]:
        with self.store.lock:
            team = self.store.team(str(args["tenant"]))
            if not team.members:
                self.store.add_member(team, f"admin@{team.name}", admin=True)
            return {"settings": {"app_key": team.client_id, "app_secret": team.client_secret,
                                 "endpoint": base_url.rstrip("/") + PREFIX, "refresh_token": team.refresh_token}}

    def seed(self, args: dict[str, Any], content: bytes, meta: dict[str, Any]) -> dict[str, str]:
        _kind(str(args["kind"]))
        with self.store.lock:
            team = self.store.team(str(args["tenant"]))
            ns, path = self.store.resolve(team, self._namespace(team, str(args["account"])),
                                          "/" + str(args.get("path", "")).strip("/"))
            if meta.get("folder"):
                entry = self.store.ensure_folder(ns, path)
                if entry is None:
                    raise ValueError("the root folder always exists")
            else:
                entry = self.store.put_file(ns, path, content, meta.get("client_modified"))
            return {"id": entry.id, "path": entry.path_display}

    def remove(self, args: dict[str, Any]) -> None:
        _kind(str(args["kind"]))
        with self.store.lock:
            team = self.store.team(str(args["tenant"]))
            ns, path = self.store.resolve(team, self._namespace(team, str(args.get("account", "")), create=False),
                                          "/" + str(args["path"]).strip("/"))
            self.store.delete(ns, path)

    def app_scopes(self, args: dict[str, Any]) -> None:
        """The permissions the team app was given (``scopes``: a list; none given: every permission);
        tokens issued from now on carry only those (a route needing another answers ``missing_scope``)."""
        with self.store.lock:
            scopes = args.get("scopes")
            self.store.team(str(args["tenant"])).app_scopes = set(scopes) if scopes else None

    def invalidate(self, args: dict[str, Any]) -> None:
        """Every ``list_folder`` cursor of the account answers 409 ``reset`` from now on."""
        with self.store.lock:
            team = self.store.team(str(args["tenant"]))
            self.store.invalidate(self._namespace(team, str(args.get("account", "")), create=False))

    def items(self, args: dict[str, str]) -> list[dict[str, Any]]:
        _kind(args.get("kind", "file"))
        account = args.get("account", "")
        rows = []
        with self.store.lock:
            team = self.store.teams.get(args.get("tenant", ""))
            if team is None:
                return []
            spaces = [(m.email, m.namespace) for m in team.members.values()]
            spaces += [(TEAM_FOLDER + f.name, f.namespace) for f in team.team_folders.values()]
            spaces += [(SHARED_FOLDER + f.name, f.namespace) for f in team.shared_folders.values()]
            for owner, ns in spaces:
                if account and owner.lower() != account.lower():
                    continue
                for entry in ns.entries.values():
                    if entry.deleted or entry.folder:
                        continue
                    rows.append({"path": entry.path_display, "sha256": hashlib.sha256(entry.content).hexdigest(),
                                 "size": len(entry.content), "content_hash": entry.content_hash,
                                 "modified": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entry.server_modified)),
                                 **({} if account else {"account": owner})})
        return sorted(rows, key=lambda r: (r.get("account", ""), r["path"]))


def _kind(kind: str) -> None:
    if kind != "file":
        raise ValueError(f"kind {kind!r} is not emulated for dropbox (only file)")
