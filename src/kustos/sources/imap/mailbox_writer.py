"""Restore archived mail into a live IMAP mailbox: ``APPEND`` with the original INTERNALDATE and flags.

``build_mailbox_writer(settings, secret, egress)`` (the imap kind's hook) returns an
:class:`ImapMailboxWriter` logged in as the source's account; the mailbox it writes into is that
account (the source serves exactly one mailbox). ``exists`` finds a message by ``UID SEARCH HEADER
Message-ID`` (without one: by its receive and sent date) and confirms it by the SHA-256 of the bytes
the server returns; ``append`` creates the folder (level by level, subscribed) when it is missing and
passes the flags and INTERNALDATE on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from kustos.sources.base import ConnectorError
from kustos.sources.egress import EgressPolicy
from kustos.sources.imap.connection import ImapSettings, close_quietly, open_client, translate_network_error
from kustos.sources.imap.folders import encode_folder, folder_from_list_entry

PORTS = {"tls": 993, "starttls": 143, "none": 143}
EXISTS_CHUNK = 50  # candidates fetched per round while looking for the same bytes


class ImapMailboxWriter:
    """One IMAP session for a whole restore (opened on first use, closed by ``close``)."""

    def __init__(self, settings: ImapSettings, mailbox: str) -> None:
        self.settings = settings
        self.mailbox = mailbox.lower()
        self._client: IMAPClient | None = None
        self._delimiter: str | None = "/"
        self._folders: set[str] = set()  # raw (encoded) names that exist
        self._selected: str | None = None

    # --- session ------------------------------------------------------------------------------
    def _open(self) -> IMAPClient:
        if self._client is None:
            client = open_client(self.settings)
            try:
                entries = client.list_folders()
            except (OSError, EOFError, IMAPClientError) as exc:
                client.shutdown()
                raise translate_network_error(exc, f"{self.settings.host}:{self.settings.port}") from None
            infos = [folder_from_list_entry(flags, delim, name) for flags, delim, name in entries]
            self._delimiter = next((i.delimiter for i in infos if i.delimiter), "/")
            self._folders = {i.raw for i in infos}
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            close_quietly(self._client)
            self._client = None

    def _check_mailbox(self, mailbox: str) -> None:
        if mailbox and mailbox.lower() != self.mailbox:
            raise ConnectorError(f"this IMAP source serves {self.mailbox}, not {mailbox.lower()}")

    def _raw(self, folder: str) -> str:
        path = folder.strip("/") or "INBOX"
        if path.upper() == "INBOX":
            return "INBOX"
        return encode_folder(path, self._delimiter)

    def _ensure(self, folder: str) -> str:
        client = self._open()
        raw = self._raw(folder)
        if raw in self._folders or raw == "INBOX":
            return raw
        segments = (folder.strip("/") or "INBOX").split("/")
        for depth in range(1, len(segments) + 1):
            level = self._raw("/".join(segments[:depth]))
            if level in self._folders or level == "INBOX":
                continue
            try:
                client.create_folder(level)
            except IMAPClientError as exc:
                if "exists" not in str(exc).lower():
                    raise ConnectorError(f"could not create folder {'/'.join(segments[:depth])!r}: {exc}") from None
            try:
                client.subscribe_folder(level)
            except IMAPClientError:
                pass  # subscription is a convenience for mail clients
            self._folders.add(level)
        return raw

    # --- the writer protocol --------------------------------------------------------------------
    def exists(self, mailbox: str, folder: str, message_id: str, sha256: str, *,
               received: datetime | None = None, sent: datetime | None = None) -> bool:
        """Whether the folder holds this message: same Message-ID and, confirmed, the same bytes.

        Without a Message-ID the candidates are those whose INTERNALDATE is near ``received`` or
        whose Date header is near ``sent`` (``SINCE``/``BEFORE``, ``SENTSINCE``/``SENTBEFORE``, a day
        either side for time zones); one of them must have the same SHA-256.
        """
        self._check_mailbox(mailbox)
        criteria = _criteria(message_id, received, sent)
        if criteria is None:
            return False
        client = self._open()
        raw = self._raw(folder)
        if raw not in self._folders and raw != "INBOX":
            return False
        try:
            if self._selected != raw:
                client.select_folder(raw, readonly=True)
                self._selected = raw
            uids = client.search(criteria)
            for start in range(0, len(uids), EXISTS_CHUNK):
                fetched = client.fetch(uids[start:start + EXISTS_CHUNK], ["BODY.PEEK[]"])
                for data in fetched.values():
                    body = data.get(b"BODY[]")
                    if body is not None and hashlib.sha256(body).hexdigest() == sha256:
                        return True
        except (OSError, EOFError) as exc:
            raise translate_network_error(exc, f"{self.settings.host}:{self.settings.port}") from None
        return False

    def append(self, mailbox: str, folder: str, raw: bytes, internal_date: datetime | None,
               flags: Sequence[str] = ()) -> None:
        self._check_mailbox(mailbox)
        client = self._open()
        target = self._ensure(folder)
        try:
            client.append(target, raw, flags=tuple(flags), msg_time=internal_date)
        except (OSError, EOFError) as exc:
            raise translate_network_error(exc, f"{self.settings.host}:{self.settings.port}") from None
        except IMAPClientError as exc:
            raise ConnectorError(f"the server refused APPEND into {folder or 'INBOX'!r}: {exc}") from None
        self._selected = None  # a later SEARCH must see the new message


def _criteria(message_id: str, received: datetime | None, sent: datetime | None) -> list[Any] | None:
    """The UID SEARCH that narrows the candidates (None: nothing to search by)."""
    if message_id:
        return ["HEADER", "Message-ID", message_id]
    windows: list[list[Any]] = []
    if received is not None:
        day = received.date()
        windows.append(["SINCE", day - timedelta(days=1), "BEFORE", day + timedelta(days=2)])
    if sent is not None:
        day = sent.date()
        windows.append(["SENTSINCE", day - timedelta(days=1), "SENTBEFORE", day + timedelta(days=2)])
    if not windows:
        return None
    return windows[0] if len(windows) == 1 else ["OR", windows[0], windows[1]]


def build_mailbox_writer(config: dict[str, Any], secret: str, egress: EgressPolicy | None,
                         ssl_context: Any = None) -> ImapMailboxWriter:
    security = config.get("security", "tls")
    settings = ImapSettings(host=config["host"], port=int(config.get("port") or PORTS[security]), security=security,
                            username=config["username"], password=secret or None, ssl_context=ssl_context,
                            timeout=float(config.get("timeout", 60)), egress=egress)
    return ImapMailboxWriter(settings, config.get("mailbox") or config["username"])
