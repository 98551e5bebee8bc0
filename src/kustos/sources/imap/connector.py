"""IMAP pull connector: every selectable folder, incremental by UIDVALIDITY + UID.

Cursor per folder (opaque JSON for the caller)::

    {"uidvalidity": int, "last_uid": int, "uids": "1:30,32", "modseq": int | None}

``uids`` is the set of UIDs already delivered (sequence-set syntax) so expunged
messages can be reported as deletion markers; ``modseq`` is the folder's
HIGHESTMODSEQ when the server offers CONDSTORE and is only set on the final batch of
a run, so an interrupted run never skips work. A changed UIDVALIDITY invalidates
every UID: the next run rescans the folder with ``reset=True`` (deduplication by
SHA-256 at ingest makes that cheap). Messages are read with ``BODY.PEEK[]`` so the
``\\Seen`` flag is not touched.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from kustos.sources import mailfacts
from kustos.sources.base import Batch, ConnectorError, Cursor, Item, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.imap.connection import ImapSettings, session, translate_network_error
from kustos.sources.imap.expunge import expunge_older_than
from kustos.sources.imap.folders import FolderInfo, folder_from_list_entry, select_folders
from kustos.sources.imap.uidset import UidSetInvalid, decode_uids, encode_uids

BODY_KEY = b"BODY[]"
SIZE_PROBE_CHUNK = 1000  # UIDs per FETCH RFC822.SIZE command (keeps command lines short)


class ImapConnector:
    """Connector for one IMAP mailbox (see module docstring for the cursor)."""

    name: ClassVar[str] = "imap"

    def __init__(
        self,
        host: str,
        port: int = 993,
        security: str = "tls",
        username: str = "",
        password: str | None = None,
        oauth2_token: str | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 60.0,
        batch_size: int = 100,
        max_batch_bytes: int = 32 * 1024 * 1024,
        egress: EgressPolicy | None = None,
    ) -> None:
        self.settings = ImapSettings(
            host=host,
            port=port,
            security=security,
            username=username,
            password=password,
            oauth2_token=oauth2_token,
            ssl_context=ssl_context,
            timeout=timeout,
            egress=egress,
        )
        self.include = list(include)
        self.exclude = list(exclude)
        self.batch_size = max(1, batch_size)
        self.max_batch_bytes = max(1, max_batch_bytes)

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    # -- Connector protocol -------------------------------------------------------

    def check(self) -> None:
        """Log in and list folders; raises AuthenticationFailed/TLSFailure/HostUnreachable."""
        self._list_folders()

    def scopes(self) -> Iterable[Scope]:
        """One Scope per selectable folder after include/exclude (id = raw server name)."""
        return [
            Scope(id=folder.raw, kind="folder", name=folder.path,
                  meta={"delimiter": folder.delimiter, "flags": list(folder.flags)})
            for folder in self._list_folders()
        ]

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        """Yield batches of new messages (and deletion markers) since ``cursor``."""
        try:
            with session(self.settings) as client:
                yield from self._fetch_folder(client, scope, cursor)
        except ConnectorError:
            raise
        except (OSError, EOFError, IMAPClientError) as exc:
            raise translate_network_error(exc, self.where)

    def expunge_older_than(
        self, folder: str, uids_verified: Iterable[str], days: int, now: datetime | None = None
    ) -> list[str]:
        """Delete archived+verified messages (source ids) older than ``days`` on the server.

        See :func:`kustos.sources.imap.expunge.expunge_older_than` for the safety rules.
        """
        return expunge_older_than(self.settings, folder, uids_verified, days, now)

    # -- internals ---------------------------------------------------------------

    def _list_folders(self) -> list[FolderInfo]:
        try:
            with session(self.settings) as client:
                entries = client.list_folders()
        except ConnectorError:
            raise
        except (OSError, EOFError, IMAPClientError) as exc:
            raise translate_network_error(exc, self.where)
        folders = [folder_from_list_entry(*entry) for entry in entries]
        return select_folders(folders, self.include, self.exclude)

    def _fetch_folder(self, client: IMAPClient, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        condstore = client.has_capability("CONDSTORE")
        if condstore and client.has_capability("ENABLE"):
            client.enable("CONDSTORE")
        try:
            status = client.select_folder(scope.id, readonly=True)
        except IMAPClientError:
            raise ConnectorError(f"folder {scope.name or scope.id!r} cannot be opened on {self.where}")
        uidvalidity = int(status[b"UIDVALIDITY"])
        modseq = int(status[b"HIGHESTMODSEQ"]) if condstore and b"HIGHESTMODSEQ" in status else None
        state = _CursorState.load(cursor, uidvalidity)
        if state.unchanged(modseq):
            yield Batch(items=[], next_cursor=state.dump(modseq))
            return
        current = {int(uid) for uid in client.search(["ALL"])}
        deletions = [
            Item(source_id=f"{uidvalidity}:{uid}", folder=scope.name, deleted=True,
                 meta={"uid": uid, "uidvalidity": uidvalidity})
            for uid in sorted(state.known - current)
        ]
        state.known &= current
        new_uids = sorted(uid for uid in current if uid > state.last_uid)
        yield from self._message_batches(client, scope, state, new_uids, deletions, modseq)

    def _message_batches(
        self, client: IMAPClient, scope: Scope, state: _CursorState,
        new_uids: list[int], pending: list[Item], modseq: int | None,
    ) -> Iterator[Batch]:
        reset = state.reset
        chunks = self._plan_chunks(client, new_uids)
        for number, chunk in enumerate(chunks, start=1):
            items, pending = pending, []
            client.normalise_times = False  # INTERNALDATE with the server's offset, not naive local time
            response = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE", "FLAGS"])
            for uid in chunk:
                data = response.get(uid)
                if data is None or BODY_KEY not in data:
                    continue  # expunged between SEARCH and FETCH
                items.append(_message_item(scope, state.uidvalidity, uid, data))
                state.known.add(uid)
            state.last_uid = max(state.last_uid, chunk[-1])
            final = number == len(chunks)
            yield Batch(items=items, next_cursor=state.dump(modseq if final else None), reset=reset)
            reset = False
        if not chunks:
            yield Batch(items=pending, next_cursor=state.dump(modseq), reset=reset)

    def _plan_chunks(self, client: IMAPClient, uids: list[int]) -> list[list[int]]:
        """Split UIDs into FETCH chunks of at most batch_size messages and ~max_batch_bytes."""
        if not uids:
            return []
        sizes: dict[int, int] = {}
        for start in range(0, len(uids), SIZE_PROBE_CHUNK):
            response = client.fetch(uids[start:start + SIZE_PROBE_CHUNK], ["RFC822.SIZE"])
            sizes.update((int(uid), int(data.get(b"RFC822.SIZE", 0))) for uid, data in response.items())
        chunks: list[list[int]] = []
        current: list[int] = []
        current_bytes = 0
        for uid in uids:
            size = sizes.get(uid, 0)
            if current and (len(current) >= self.batch_size or current_bytes + size > self.max_batch_bytes):
                chunks.append(current)
                current, current_bytes = [], 0
            current.append(uid)
            current_bytes += size
        chunks.append(current)
        return chunks


def _message_item(scope: Scope, uidvalidity: int, uid: int, data: dict[bytes, Any]) -> Item:
    internaldate = data.get(b"INTERNALDATE")
    flags = mailfacts.clean_flags(data.get(b"FLAGS", ()))
    return Item(
        source_id=f"{uidvalidity}:{uid}",
        data=bytes(data[BODY_KEY]),
        folder=scope.name,
        meta={
            "uid": uid,
            "uidvalidity": uidvalidity,
            "internaldate": internaldate.isoformat() if isinstance(internaldate, datetime) else None,
            "received_at": mailfacts.iso(internaldate) if isinstance(internaldate, datetime) else None,
            "flags": flags,
        },
    )


class _CursorState:
    """Mutable view of one folder's cursor during a run."""

    def __init__(self, uidvalidity: int, last_uid: int, known: set[int], modseq: int | None, reset: bool):
        self.uidvalidity = uidvalidity
        self.last_uid = last_uid
        self.known = known
        self.modseq = modseq
        self.reset = reset

    @classmethod
    def load(cls, cursor: Cursor | None, uidvalidity: int) -> _CursorState:
        if not cursor:
            return cls(uidvalidity, 0, set(), None, reset=False)
        try:
            same = int(cursor["uidvalidity"]) == uidvalidity
            if same:
                modseq = cursor.get("modseq")
                return cls(uidvalidity, int(cursor["last_uid"]), decode_uids(str(cursor.get("uids", ""))),
                           int(modseq) if modseq is not None else None, reset=False)
        except (KeyError, TypeError, ValueError, UidSetInvalid):
            pass  # an unreadable cursor is treated like an invalidated one
        return cls(uidvalidity, 0, set(), None, reset=True)

    def unchanged(self, modseq: int | None) -> bool:
        return modseq is not None and self.modseq is not None and modseq == self.modseq

    def dump(self, modseq: int | None) -> Cursor:
        return {"uidvalidity": self.uidvalidity, "last_uid": self.last_uid,
                "uids": encode_uids(self.known), "modseq": modseq}
