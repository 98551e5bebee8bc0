"""The restore side of a Microsoft 365 connection: one writer over files and items.

``build_restore(settings, secret, egress)`` (the graph kind's ``build_restore`` hook) returns a
:class:`GraphRestoreWriter`. ``write(account, path, kind, size, meta, open_content, ...)`` puts one
backed-up item back: ``account`` is the snapshot's account (``<service>:<user id>``), the target is
the same user or ``to_account`` (a user id or principal name, with or without the service prefix),
and the item's path is kept below ``to_path`` when one is given (a SharePoint path keeps its library and
goes below ``to_path`` inside it). Supported: ``onedrive`` and ``sharepoint`` library files and
folders, ``mail``, ``calendar`` events, ``contacts``, ``tasks``, SharePoint list items and site pages
(the target account is a site: its id, name or web URL; ``to_path`` names the target list), Teams
channel threads (the target account is a team: its id or display name; ``to_path`` names the target
channel) and channel files (into the team's library);
chat messages are "download only" (Graph lets no application post into users' chats) and a team's
group calendar is not restored yet: each such item answers a clear error. What "conflict" means per
kind is in ``restore_files.py``, ``restore_items.py``, ``restore_sharepoint.py`` and ``restore_teams.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO
from urllib.parse import quote

from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.restore_files import FileRestorer, behaviour
from kustos.sources.graph.backup.restore_http import get_or_none
from kustos.sources.graph.backup.restore_items import ItemRestorer
from kustos.sources.graph.backup.restore_sharepoint import SharePointRestorer
from kustos.sources.graph.backup.restore_teams import (
    CHAT_DOWNLOAD_ONLY,
    GROUP_EVENT_DOWNLOAD_ONLY,
    DownloadOnly,
    TeamsRestorer,
)
from kustos.sources.graph.backup.session import GraphSession
from kustos.sources.graph.backup.teams import TEAMS_FILTER
from kustos.sources.http import iter_link_pages

SERVICES = ("onedrive", "sharepoint", "mail", "calendar", "contacts", "tasks", "teams")
ITEM_KINDS = {"event", "contact", "task"}


class RestoreError(ValueError):
    """An item this writer cannot put back (unsupported service or kind, bad target)."""


def target_user(account: str, to_account: str | None) -> tuple[str, str]:
    """(service, user) of the target from the snapshot account and an optional other account."""
    service, sep, user = account.partition(":")
    if not sep or not user:
        raise RestoreError(f"snapshot account {account!r} names no service (expected service:user)")
    if to_account:
        other_service, sep, other = to_account.partition(":")
        if sep and other_service in SERVICES:
            if other_service != service:
                raise RestoreError(f"cannot restore {service} data into a {other_service} account")
            user = other
        else:
            user = to_account
    return service, user


def join(to_path: str | None, path: str) -> str:
    parts = [p for p in (to_path or "").strip("/").split("/") if p] + [p for p in path.strip("/").split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise RestoreError(f"invalid target path {'/'.join(parts)!r}")
    return "/".join(parts)


class GraphRestoreWriter:
    def __init__(self, session: GraphSession, fragment: int | None = None) -> None:
        self.session = session
        self.files = FileRestorer(session) if fragment is None else FileRestorer(session, fragment=fragment)
        self.items = ItemRestorer(session)
        self.sharepoint = SharePointRestorer(session)
        self.teams = TeamsRestorer(session)
        self._libraries: dict[tuple[str, str], str] = {}
        self._owners: dict[tuple[str, str], str] = {}  # (service, site or team name/id) -> id

    def close(self) -> None:
        self.session.close()

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        """Put one item back; returns ``restored`` or ``skipped``. Raises on failure."""
        behaviour(conflict)  # refuse an unknown mode before anything is written
        service, user = target_user(account, to_account)
        if service not in SERVICES:
            raise RestoreError(f"restoring {service} items is not supported yet")
        if to_account and service in ("sharepoint", "teams") and kind != "chatmessage":
            user = self._owner(service, user)
        source_owner = account.partition(":")[2]
        same = user == source_owner
        if kind == "chatmessage":
            raise DownloadOnly(CHAT_DOWNLOAD_ONLY)
        if kind in ("folder", "file") and service in ("onedrive", "sharepoint", "teams"):
            drive, target = self._drive(service, user, same, path, to_path, meta)
            if kind == "folder":
                self.files.folder(drive, user, target)
                return "restored"
            if open_content is None:
                raise RestoreError(f"{path!r} has no backed-up content")
            return self.files.put(drive, user, target, size, open_content, conflict)
        if open_content is None:
            raise RestoreError(f"{path!r} has no backed-up content")
        if service == "sharepoint" and kind in ("listitem", "page"):
            with open_content() as stream:
                data = stream.read()
            if kind == "page":
                return self.sharepoint.page(user, data, conflict=conflict)
            return self.sharepoint.list_item(user, source_owner, path, data, meta, to_path=to_path,
                                             conflict=conflict)
        if service == "teams" and kind == "channelmessage":
            with open_content() as stream:
                data = stream.read()
            return self.teams.thread(user, source_owner, path, data, meta, to_path=to_path, conflict=conflict)
        if service == "teams":  # the team's group calendar
            raise DownloadOnly(GROUP_EVENT_DOWNLOAD_ONLY)
        if kind == "mail" and service == "mail":
            with open_content() as stream:
                mime = stream.read()
            return self.items.mail(user, join(to_path, path), mime, meta, same_account=same, conflict=conflict)
        if kind in ITEM_KINDS:
            with open_content() as stream:
                data = stream.read()
            return self.items.entity(user, kind, join(to_path, path), data, meta, same_account=same, conflict=conflict)
        raise RestoreError(f"items of kind {kind!r} of {service} cannot be restored yet")

    def _drive(self, service: str, owner: str, same: bool, path: str, to_path: str | None,
               meta: Mapping[str, Any]) -> tuple[str, str]:
        """(drive URL, path in the drive). A SharePoint path starts with its library's name: the same
        library (by id when restoring into the same site, else by name in the target site)."""
        if service == "onedrive":
            return self.files.user_drive(owner), join(to_path, path)
        if service == "teams":  # channel files live in the team's document library, below "Files/"
            inner = path.strip("/").removeprefix("Files").strip("/")
            return f"{self.session.base}/groups/{quote(owner, safe='')}/drive", join(to_path, inner)
        library, _, inner = path.strip("/").partition("/")
        drive_id = str(meta.get("drive_id") or "") if same else ""
        if not drive_id:
            drive_id = self._library(owner, str(meta.get("library") or library))
        return self.files.drive(drive_id), join(to_path, inner)

    def _owner(self, service: str, key: str) -> str:
        """The id of the target site or team ``key``: its id, or its name (site name, display name or web
        URL; team display name or mail nickname)."""
        cache_key = (service, key.lower())
        if cache_key in self._owners:
            return self._owners[cache_key]
        kind = "site" if service == "sharepoint" else "team"
        direct = f"{self.session.base}/{kind}s/{quote(key, safe=',')}"
        names: tuple[str, ...]
        hit = get_or_none(self.session.http, direct, key)
        found: str | None = str(hit["id"]) if hit is not None else None
        if hit is None:
            if service == "sharepoint":
                url, names = f"{self.session.base}/sites?search=*", ("name", "displayName", "webUrl")
            else:
                url, names = f"{self.session.base}/groups?$filter={TEAMS_FILTER}", ("displayName", "mailNickname")
            found = None
            for page in iter_link_pages(lambda link: self.session.http.get_json(link, key=kind), url):
                found = next((str(r["id"]) for r in page.get("value", [])
                              if key.lower() in (str(r.get(n) or "").lower() for n in names)), None)
                if found is not None:
                    break
        if found is None:
            raise RestoreError(f"no {'SharePoint site' if kind == 'site' else 'team'} {key!r} in the tenant")
        self._owners[cache_key] = found
        return found

    def _library(self, site: str, name: str) -> str:
        key = (site, name.lower())
        if key not in self._libraries:
            url = f"{self.session.base}/sites/{quote(site, safe='')}/drives"
            rows = self.session.http.get_json(url, key=site).get("value", [])
            found = next((str(r["id"]) for r in rows if str(r.get("name") or "").lower() == name.lower()), None)
            if found is None:
                raise RestoreError(f"site {site!r} has no document library {name!r}")
            self._libraries[key] = found
        return self._libraries[key]


def build_restore(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> GraphRestoreWriter:
    session = GraphSession(str(settings["tenant_id"]), str(settings["client_id"]), secret,
                           endpoint=settings.get("endpoint") or None,
                           login_endpoint=settings.get("login_endpoint") or None, egress=egress)
    return GraphRestoreWriter(session)
