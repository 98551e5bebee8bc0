"""Put backed-up Dropbox files and folders back, into the same or another member (or a team folder).

``write(account, path, kind, size, meta, open_content, to_account=, to_path=, conflict=)`` is the
restore writer's contract (``backup/services/restore.py``). ``account`` is the snapshot's account
(``files:<team member id>`` or ``files:teamfolder:<namespace id>``); ``to_account`` a member's e-mail
address, team member id or account id (with or without ``files:``), or ``teamfolder:<id>``. Files go
up with ``files/upload``; conflict modes: ``skip`` (an existing file is kept), ``copy`` (Dropbox
stores ``name (1).ext`` beside it: ``mode=add, autorename, strict_conflict``), ``replace``
(``mode=overwrite``). Files above ``files/upload``'s 150 MiB are refused with a clear error (upload
sessions are not written yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from kustos.sources.dropbox import session_for
from kustos.sources.dropbox.files import TEAM_FOLDER
from kustos.sources.dropbox.session import DropboxError, DropboxSession
from kustos.sources.egress import EgressPolicy

MODES = ("skip", "copy", "replace")
UPLOAD_LIMIT = 150 * 1024 * 1024
RESTORED, SKIPPED = "restored", "skipped"


class RestoreError(ValueError):
    """An item this writer cannot put back (unknown mode, target or service)."""


def join(to_path: str | None, path: str) -> str:
    parts = [p for p in (to_path or "").split("/") if p] + [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise RestoreError(f"invalid target path {'/'.join(parts)!r}")
    return "/" + "/".join(parts)


def _read(open_content: Callable[[], BinaryIO], size: int, path: str) -> bytes:
    with open_content() as stream:
        data = stream.read()
    if len(data) != size:
        raise RestoreError(f"the backed-up content of {path!r} is {len(data)} bytes, expected {size}")
    return data


class DropboxRestoreWriter:
    def __init__(self, session: DropboxSession) -> None:
        self.session = session
        self._members: dict[str, str] | None = None
        self._admin: str | None = None
        self._folders: set[tuple[str, str | None, str]] = set()

    def close(self) -> None:
        self.session.close()

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        """Put one item back; returns ``restored`` or ``skipped``. Raises on failure."""
        if conflict not in MODES:
            raise RestoreError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
        service, sep, owner = account.partition(":")
        if service != "files" or not sep or not owner:
            raise RestoreError(f"snapshot account {account!r} is not a Dropbox files account")
        target = (to_account or "").strip()
        target = target.removeprefix("files:") if target else owner
        member, namespace = self._target(target)
        where = join(to_path, path)
        if kind == "folder":
            self._folder(member, namespace, where)
            return RESTORED
        if kind != "file":
            raise RestoreError(f"Dropbox items of kind {kind!r} cannot be restored")
        if open_content is None:
            raise RestoreError(f"{path!r} has no backed-up content")
        if size > UPLOAD_LIMIT:
            raise RestoreError(f"{path!r} is larger than the 150 MiB a single Dropbox upload takes; "
                               "upload sessions are not supported yet")
        if conflict == "skip" and self._exists(member, namespace, where):
            return SKIPPED
        data = _read(open_content, size, path)
        arg: dict[str, Any] = {"path": where, "mode": "overwrite" if conflict == "replace" else "add",
                               "autorename": conflict == "copy", "strict_conflict": conflict == "copy",
                               "mute": True}
        if meta.get("client_modified"):
            arg["client_modified"] = meta["client_modified"]
        response = self.session.upload(arg, data, member=member, namespace=namespace)
        if response.status_code == 409 and conflict == "skip":
            return SKIPPED
        self.session.http.expect(response)
        return RESTORED

    # --- internals ----------------------------------------------------------------------
    def _target(self, key: str) -> tuple[str, str | None]:
        if self._members is None:
            self._members = {}
            for member in self.session.members():
                member_id = str(member["team_member_id"])
                for alias in (member_id, member.get("email"), member.get("account_id")):
                    if alias:
                        self._members[str(alias).lower()] = member_id
                if self._admin is None and member.get("role") == "team_admin":
                    self._admin = member_id
        if key.startswith(TEAM_FOLDER):
            if self._admin is None:
                raise RestoreError("the Dropbox team has no admin to write into a team folder as")
            return self._admin, key[len(TEAM_FOLDER):]
        found = self._members.get(key.lower())
        if found is None:
            raise RestoreError(f"no member {key!r} in the Dropbox team")
        return found, None

    def _exists(self, member: str, namespace: str | None, path: str) -> bool:
        try:
            self.session.call("files/get_metadata", {"path": path}, member=member, namespace=namespace)
        except DropboxError as exc:
            if exc.status == 409:
                return False
            raise
        return True

    def _folder(self, member: str, namespace: str | None, path: str) -> None:
        key = (member, namespace, path.lower())
        if key in self._folders:
            return
        response = self.session.rpc("files/create_folder_v2", {"path": path, "autorename": False}, member=member,
                                    namespace=namespace, ok=(200, 409))
        if response.status_code == 409 and "conflict/folder" not in str(response.json().get("error_summary", "")):
            raise RestoreError(f"{path!r} exists in the target Dropbox and is not a folder")
        self._folders.add(key)


def build_restore(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> DropboxRestoreWriter:
    return DropboxRestoreWriter(session_for(settings, secret, egress))
