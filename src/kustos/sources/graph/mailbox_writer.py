"""Restore archived mail into a Microsoft 365 mailbox through Graph (no EWS).

``build_mailbox_writer(settings, secret, egress)`` (the graph kind's hook) returns a
:class:`GraphMailboxWriter` on a :class:`GraphSession`, so every request shares the tenant-wide
throttle and 429/503 answers are retried after their ``Retry-After``. ``append`` creates the message
from its MIME (base64, ``text/plain``) in the folder at the display-name path (created level by level,
as the backup restore does), then PATCHes the receive time (the extended property
PR_MESSAGE_DELIVERY_TIME ``SystemTime 0x0E06``, shown as ``receivedDateTime``), ``isRead`` (``\\Seen``)
and the follow-up ``flag`` (``\\Flagged``); ``exists`` looks the Message-ID up in that folder
(``$filter=internetMessageId eq …``; without one: ``receivedDateTime`` within the second) and, where
Graph hands out the MIME (``/$value``), confirms it by the SHA-256 of the bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.restore_http import send_json
from kustos.sources.graph.backup.restore_items import ItemRestorer
from kustos.sources.graph.backup.session import GraphSession

GRAPH = "https://graph.microsoft.com"
LOGIN = "https://login.microsoftonline.com"
DELIVERY_TIME = "SystemTime 0x0E06"  # PR_MESSAGE_DELIVERY_TIME


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class GraphMailboxWriter:
    def __init__(self, session: GraphSession) -> None:
        self.session = session
        self.http = session.http
        self.items = ItemRestorer(session)

    def close(self) -> None:
        close = getattr(self.http, "close", None)
        if callable(close):
            close()

    def _folder(self, mailbox: str, folder: str) -> str:
        return self.items.mail_folder(mailbox, folder.strip("/") or "Inbox")

    def exists(self, mailbox: str, folder: str, message_id: str, sha256: str, *,
               received: datetime | None = None, sent: datetime | None = None) -> bool:
        if message_id:
            wanted = f"internetMessageId eq {_odata_string(message_id)}"
        elif received is not None:  # no Message-ID: the messages received in the same second
            wanted = (f"receivedDateTime ge {_odata_time(received)} and "
                      f"receivedDateTime le {_odata_time(received + timedelta(seconds=1))}")
        else:
            return False
        folder_id = self._folder(mailbox, folder)
        url = self.session.user_url(mailbox, f"/mailFolders/{quote(folder_id, safe='')}/messages")
        rows = self.http.get_json(url, key=mailbox, params={"$filter": wanted, "$select": "id,internetMessageId"})
        for row in rows.get("value", []):
            mime_url = self.session.user_url(mailbox, f"/messages/{quote(str(row['id']), safe='')}/$value")
            response = self.http.request("GET", mime_url, key=mailbox)
            if response.status_code != 200:
                if message_id:
                    return True  # found by Message-ID; the bytes cannot be had to compare
                continue
            if hashlib.sha256(response.content).hexdigest() == sha256:
                return True
        return False

    def append(self, mailbox: str, folder: str, raw: bytes, internal_date: datetime | None,
               flags: Sequence[str] = ()) -> None:
        folder_id = self._folder(mailbox, folder)
        url = self.session.user_url(mailbox, f"/mailFolders/{quote(folder_id, safe='')}/messages")
        response = self.http.request("POST", url, key=mailbox, content=base64.b64encode(raw),
                                     headers={"Content-Type": "text/plain"})
        created = self.http.expect(response, (200, 201)).json()
        # Neither the receive time nor the read/flag state is in the MIME: set them on the new item.
        message_url = self.session.user_url(mailbox, f"/messages/{quote(str(created['id']), safe='')}")
        send_json(self.http, "PATCH", message_url, mailbox, state_patch(internal_date, flags), (200,))


def _odata_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_patch(internal_date: datetime | None, flags: Sequence[str]) -> dict[str, Any]:
    """The PATCH that gives a created message its receive time (PR_MESSAGE_DELIVERY_TIME, which
    Graph shows as ``receivedDateTime``), read state (``isRead``) and follow-up flag."""
    lowered = {f.lower() for f in flags}
    body: dict[str, Any] = {"isRead": "\\seen" in lowered,
                            "flag": {"flagStatus": "flagged" if "\\flagged" in lowered else "notFlagged"}}
    if internal_date is not None:
        body["singleValueExtendedProperties"] = [
            {"id": DELIVERY_TIME, "value": _odata_time(internal_date)}]
    return body


def build_mailbox_writer(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> GraphMailboxWriter:
    endpoint = settings.get("endpoint") or GRAPH
    login = settings.get("login_endpoint") or (endpoint if settings.get("endpoint") else LOGIN)
    session = GraphSession(str(settings["tenant_id"]), str(settings["client_id"]), secret, endpoint=endpoint,
                           login_endpoint=login, egress=egress)
    return GraphMailboxWriter(session)
