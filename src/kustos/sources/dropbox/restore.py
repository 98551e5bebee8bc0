"""Put backed-up Dropbox files and folders back, into the same or another member (or a team folder).

``write(account, path, kind, size, meta, open_content, to_account=, to_path=, conflict=)`` is the
restore writer's contract (``backup/services/restore.py``). ``account`` is the snapshot's account
(``files:<team member id>``, ``files:teamfolder:<namespace id>``, ``files:shared:<shared folder id>``
or ``files:team``); ``to_account`` a member's e-mail address, team member id or account id (with or
without ``files:``), ``teamfolder:<id>`` or ``shared:<id>``. Back into a shared folder itself (its
own account restored in place), the items lose the folder's name in front (it is the namespace's
root) and are written as a member who may edit it; the folder's members that are missing are added. Files go
up with ``files/upload``; conflict modes: ``skip`` (an existing file is kept), ``copy`` (Dropbox
stores ``name (1).ext`` beside it: ``mode=add, autorename, strict_conflict``), ``replace``
(``mode=overwrite``). Files above ``SMALL`` go through an upload session (``upload_session/start``,
``append_v2``, ``finish``), read from the vault one chunk at a time.

A restored file gets its explicit members and property groups back, a restored shared folder is
shared again with its members, and the team's file property templates (kind ``template``, from the
``files:team`` account) are added where the team lacks them (``reapply.py``); what could not be
re-applied is in the report (``report()``: ``reapplied`` counts, ``not_reapplied`` rows).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from kustos.sources.dropbox import session_for
from kustos.sources.dropbox.files import SHARED, TEAM_FOLDER
from kustos.sources.dropbox.reapply import Reapplier
from kustos.sources.dropbox.session import DropboxError, DropboxSession
from kustos.sources.egress import EgressPolicy

MODES = ("skip", "copy", "replace")
SMALL = 8 * 1024 * 1024  # files/upload takes up to 150 MiB; above 8 MiB a session keeps memory flat
CHUNK = 8 * 1024 * 1024  # a multiple of 4 MiB, as Dropbox asks of session chunks
RESTORED, SKIPPED = "restored", "skipped"


class RestoreError(ValueError):
    """An item this writer cannot put back (unknown mode, target or service)."""


def join(to_path: str | None, path: str) -> str:
    parts = [p for p in (to_path or "").split("/") if p] + [p for p in path.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise RestoreError(f"invalid target path {'/'.join(parts)!r}")
    return "/" + "/".join(parts)


def _chunk(stream: BinaryIO, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        piece = stream.read(size - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _read(open_content: Callable[[], BinaryIO], size: int, path: str) -> bytes:
    with open_content() as stream:
        data = stream.read()
    if len(data) != size:
        raise RestoreError(f"the backed-up content of {path!r} is {len(data)} bytes, expected {size}")
    return data


class DropboxRestoreWriter:
    def __init__(self, session: DropboxSession, small: int = SMALL, chunk: int = CHUNK) -> None:
        self.session = session
        self.small = small  # files above this go through an upload session
        self.chunk = chunk
        self._members: dict[str, str] | None = None
        self._accounts: dict[str, str] = {}  # team member id -> account id
        self._admin: str | None = None
        self.reapply = Reapplier(session)
        self._folders: set[tuple[str, str | None, str]] = set()
        self._editors: dict[str, str] = {}  # shared folder id -> a member who may edit it

    def close(self) -> None:
        self.session.close()

    def report(self) -> dict[str, Any]:
        return self.reapply.report()

    def write(self, account: str, path: str, kind: str, size: int, meta: Mapping[str, Any],
              open_content: Callable[[], BinaryIO] | None, *, to_account: str | None = None,
              to_path: str | None = None, conflict: str = "skip") -> str:
        """Put one item back; returns ``restored`` or ``skipped``. Raises on failure."""
        if conflict not in MODES:
            raise RestoreError(f"unknown conflict mode {conflict!r}; use skip, copy or replace")
        service, sep, owner = account.partition(":")
        if service != "files" or not sep or not owner:
            raise RestoreError(f"snapshot account {account!r} is not a Dropbox files account")
        if kind == "template":  # a team's file property template: the team is the target
            return self.reapply.template(path, open_content)
        target = (to_account or "").strip()
        target = target.removeprefix("files:") if target else owner
        member, namespace = self._target(target)
        me = self._accounts.get(member, "")
        inner = path
        if target.startswith(SHARED):  # into the shared folder itself: its name is the namespace's root
            inner = path.partition("/")[2]
            if not inner:
                if kind != "folder":
                    raise RestoreError(f"{path!r} would be the shared folder's root")
                self.reapply.add_missing(path, str(namespace), meta.get("members") or {}, member, me)
                return RESTORED
        where = join(to_path, inner)
        if kind == "folder":
            self._folder(member, namespace, where)
            self.reapply.folder(path, where, meta, member, namespace, me)
            return RESTORED
        if kind != "file":
            raise RestoreError(f"Dropbox items of kind {kind!r} cannot be restored")
        if open_content is None:
            raise RestoreError(f"{path!r} has no backed-up content")
        if conflict == "skip" and self._exists(member, namespace, where):
            return SKIPPED
        arg: dict[str, Any] = {"path": where, "mode": "overwrite" if conflict == "replace" else "add",
                               "autorename": conflict == "copy", "strict_conflict": conflict == "copy",
                               "mute": True}
        if meta.get("client_modified"):
            arg["client_modified"] = meta["client_modified"]
        if size > self.small:
            response = self._session_upload(arg, size, open_content, path, member, namespace)
        else:
            response = self.session.upload(arg, _read(open_content, size, path), member=member, namespace=namespace)
        if response.status_code == 409 and conflict == "skip":
            return SKIPPED
        self.session.http.expect(response)
        written = response.json() if response.content else {}
        self.reapply.file(path, str(written.get("id") or written.get("path_display") or where), meta, member,
                          namespace, me)
        return RESTORED

    # --- internals ----------------------------------------------------------------------
    def _session_upload(self, commit: dict[str, Any], size: int, open_content: Callable[[], BinaryIO], path: str,
                        member: str, namespace: str | None) -> Any:
        """``upload_session/start``, ``append_v2`` per chunk, ``finish`` with the commit: memory stays at
        one chunk whatever the file's size."""
        sent = 0
        with open_content() as stream:
            first = _chunk(stream, min(self.chunk, size))
            started = self.session.content_call("files/upload_session/start", {"close": False}, first,
                                                member=member, namespace=namespace)
            session_id = str(self.session.http.expect(started).json()["session_id"])
            sent = len(first)
            while True:
                piece = _chunk(stream, min(self.chunk, size - sent))
                if sent + len(piece) >= size or not piece:
                    break
                appended = self.session.content_call(
                    "files/upload_session/append_v2", {"cursor": {"session_id": session_id, "offset": sent},
                                                       "close": False}, piece, member=member, namespace=namespace)
                self.session.http.expect(appended)
                sent += len(piece)
            if sent + len(piece) != size:
                raise RestoreError(f"the backed-up content of {path!r} ended at byte {sent + len(piece)} of {size}")
            return self.session.content_call(
                "files/upload_session/finish", {"cursor": {"session_id": session_id, "offset": sent},
                                                "commit": commit}, piece, member=member, namespace=namespace)

    def _target(self, key: str) -> tuple[str, str | None]:
        if self._members is None:
            self._members = {}
            for member in self.session.members():
                member_id = str(member["team_member_id"])
                self._accounts[member_id] = str(member.get("account_id") or "")
                for alias in (member_id, member.get("email"), member.get("account_id")):
                    if alias:
                        self._members[str(alias).lower()] = member_id
                if self._admin is None and member.get("role") == "team_admin":
                    self._admin = member_id
        if key.startswith(SHARED):
            folder_id = key[len(SHARED):]
            return self._editor(folder_id), folder_id
        if key.startswith(TEAM_FOLDER):
            if self._admin is None:
                raise RestoreError("the Dropbox team has no admin to write into a team folder as")
            return self._admin, key[len(TEAM_FOLDER):]
        found = self._members.get(key.lower())
        if found is None:
            raise RestoreError(f"no member {key!r} in the Dropbox team")
        return found, None

    def _editor(self, folder_id: str) -> str:
        """A member who may write into the shared folder (its owner or an editor)."""
        if folder_id not in self._editors:
            for member_id in dict.fromkeys((self._members or {}).values()):
                page = self.session.call("sharing/list_folders", {"limit": 1000}, member=member_id)
                rows = list(page.get("entries") or [])
                while page.get("cursor"):
                    page = self.session.call("sharing/list_folders/continue", {"cursor": page["cursor"]},
                                             member=member_id)
                    rows += page.get("entries") or []
                if any(str(r.get("shared_folder_id")) == folder_id and (r.get("access_type") or {}).get(".tag") in
                       ("owner", "editor") for r in rows):
                    self._editors[folder_id] = member_id
                    break
            else:
                raise RestoreError(f"no member of the Dropbox team may edit the shared folder {folder_id} any more; "
                                   "restore it into a member instead")
        return self._editors[folder_id]

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
