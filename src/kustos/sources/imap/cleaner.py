"""Mailbox cleanup over IMAP (``Kind.build_mailbox_cleaner`` of the imap kind).

Items are ``<raw folder>#<uidvalidity>:<uid>``. Per folder: SELECT, confirm the UIDVALIDITY (else
the UIDs name other messages: kept), FETCH RFC822.SIZE (a UID that answers nothing is gone: kept),
then either ``UID MOVE`` to the trash (the folder LIST marks ``\\Trash``, else "Trash"; without MOVE:
``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE``) or ``\\Deleted`` + ``UID EXPUNGE`` of exactly those
UIDs. Without UIDPLUS nothing is deleted (a plain EXPUNGE could remove unarchived mail). A dry run
selects read-only and changes nothing. ``freed_bytes`` is the server's RFC822.SIZE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from kustos.sources.base import ConnectorError
from kustos.sources.cleanup import CleanupItem, CleanupOutcome
from kustos.sources.egress import EgressPolicy
from kustos.sources.imap.connection import ImapSettings, close_quietly, open_client, translate_network_error
from kustos.sources.imap.folders import folder_from_list_entry

PORTS = {"tls": 993, "starttls": 143, "none": 143}
CHUNK = 500  # UIDs per FETCH / STORE / EXPUNGE command
TRASH = "Trash"


class ImapCleaner:
    """One IMAP session for a whole cleanup (opened on first use, closed by ``close``)."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        self._client: IMAPClient | None = None
        self._trash: str | None = None
        self._trash_exists = False

    def close(self) -> None:
        if self._client is not None:
            close_quietly(self._client)
            self._client = None

    def delete(self, items: Sequence[CleanupItem], *, to_trash: bool, dry_run: bool) -> list[CleanupOutcome]:
        by_folder: dict[str, list[CleanupItem]] = defaultdict(list)
        for item in items:
            by_folder[item.scope_id].append(item)
        done: dict[str, CleanupOutcome] = {}
        try:
            client = self._open()
            for folder, group in by_folder.items():
                done.update(self._folder(client, folder, group, to_trash, dry_run))
        except ConnectorError:
            raise
        except (OSError, EOFError, IMAPClientError) as exc:
            raise translate_network_error(exc, self.where) from None
        return [done.get(i.ref) or CleanupOutcome(i.ref, False, reason="not confirmed") for i in items]

    # --- one folder -----------------------------------------------------------------------------
    def _folder(self, client: IMAPClient, folder: str, items: list[CleanupItem], to_trash: bool,
                dry_run: bool) -> dict[str, CleanupOutcome]:
        try:
            status = client.select_folder(folder, readonly=dry_run)
        except IMAPClientError:
            return {i.ref: CleanupOutcome(i.ref, False, reason="folder gone on the server") for i in items}
        validity = int(status[b"UIDVALIDITY"])
        out: dict[str, CleanupOutcome] = {}
        wanted: dict[int, CleanupItem] = {}
        for item in items:
            value, _, number = item.item_id.partition(":")
            if not (value.isdigit() and number.isdigit()):
                out[item.ref] = CleanupOutcome(item.ref, False, reason="not an IMAP UID")
            elif int(value) != validity:
                out[item.ref] = CleanupOutcome(item.ref, False, reason="UIDVALIDITY changed")
            else:
                wanted[int(number)] = item
        sizes: dict[int, int] = {}
        uids = sorted(wanted)
        for start in range(0, len(uids), CHUNK):
            answer = client.fetch(uids[start:start + CHUNK], ["RFC822.SIZE"])
            sizes.update((int(uid), int(data.get(b"RFC822.SIZE", 0))) for uid, data in answer.items())
        for uid, item in wanted.items():
            if uid not in sizes:
                out[item.ref] = CleanupOutcome(item.ref, False, reason="gone on the server")
        present = sorted(uid for uid in wanted if uid in sizes)
        reason = self._refusal(client, folder, to_trash) if present and not dry_run else ""
        if not reason and present and to_trash and self._trash_of(client) == folder:
            reason = "already in the trash folder"
        if not reason and not dry_run:
            for start in range(0, len(present), CHUNK):
                self._remove(client, present[start:start + CHUNK], to_trash)
        for uid in present:
            item = wanted[uid]
            out[item.ref] = (CleanupOutcome(item.ref, False, reason=reason) if reason
                             else CleanupOutcome(item.ref, True, freed_bytes=sizes[uid]))
        return out

    def _refusal(self, client: IMAPClient, folder: str, to_trash: bool) -> str:
        if not client.has_capability("UIDPLUS") and not (to_trash and client.has_capability("MOVE")):
            return "the server lacks UIDPLUS (refusing to expunge: it could remove unarchived mail)"
        return ""

    def _remove(self, client: IMAPClient, uids: list[int], to_trash: bool) -> None:
        if to_trash:
            trash = self._trash_of(client, create=True)
            if client.has_capability("MOVE"):
                client.move(uids, trash)
                return
            client.copy(uids, trash)
        client.add_flags(uids, [b"\\Deleted"], silent=True)
        client.uid_expunge(uids)

    # --- session and trash folder ---------------------------------------------------------------
    def _open(self) -> IMAPClient:
        if self._client is None:
            self._client = open_client(self.settings)
        return self._client

    def _trash_of(self, client: IMAPClient, create: bool = False) -> str:
        """The special-use \\Trash folder (RFC 6154), else "Trash" (created when missing)."""
        if self._trash is None:
            infos = [folder_from_list_entry(flags, delim, name) for flags, delim, name in client.list_folders()]
            marked = next((i.raw for i in infos if any(f.lower() == "\\trash" for f in i.flags)), None)
            self._trash = marked or next((i.raw for i in infos if i.raw.lower() == TRASH.lower()), TRASH)
            self._trash_exists = marked is not None or self._trash in {i.raw for i in infos}
        if create and not self._trash_exists:
            try:
                client.create_folder(self._trash)
            except IMAPClientError as exc:
                if "exists" not in str(exc).lower():
                    raise ConnectorError(f"could not create the trash folder {self._trash!r}: {exc}") from None
            self._trash_exists = True
        return self._trash


def build_mailbox_cleaner(config: dict[str, Any], secret: str, egress: EgressPolicy | None,
                          ssl_context: Any = None) -> ImapCleaner:
    security = config.get("security", "tls")
    settings = ImapSettings(host=config["host"], port=int(config.get("port") or PORTS[security]), security=security,
                            username=config["username"], password=secret or None, ssl_context=ssl_context,
                            timeout=float(config.get("timeout", 60)), egress=egress)
    return ImapCleaner(settings)
