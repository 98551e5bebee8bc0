"""Restore archived mail into a Gmail mailbox with ``users.messages.import`` (raw RFC 822, byte for byte).

``build_mailbox_writer(settings, secret, egress)`` (the gmail kind's hook) returns a
:class:`GmailMailboxWriter` on the Workspace connection's session (service account, domain-wide
delegation; Google's 429 and 403 ``rateLimitExceeded``/``userRateLimitExceeded`` answers are retried
with backoff by its HTTP client). The archive's folder becomes the label: ``INBOX``, ``Sent``,
``Drafts``, ``Spam``, ``Trash`` their system labels, ``All Mail`` none, anything else a user label of
that name (created when missing). The date comes from the Date header (``internalDateSource=dateHeader``:
the API offers only that or the time of the import); without ``\\Seen`` the message is imported
``UNREAD``, with ``\\Flagged`` ``STARRED``. ``exists`` searches ``rfc822msgid:`` (without a Message-ID:
``after:``/``before:`` around the Date header, which became the internalDate) and confirms the hit by
the SHA-256 of its raw bytes (``format=raw``) within the same label.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from kustos.sources.egress import EgressPolicy
from kustos.sources.gmail.labels import ARCHIVED, SYSTEM_FOLDERS
from kustos.sources.google import session_for
from kustos.sources.google.restore_mail import MailRestorer

FOLDER_LABELS = {folder.lower(): label for label, folder in SYSTEM_FOLDERS}


class GmailMailboxWriter:
    def __init__(self, restorer: MailRestorer) -> None:
        self.restorer = restorer

    def _labels(self, mailbox: str, folder: str, flags: Sequence[str] = ("\\Seen",)) -> list[str]:
        path = folder.strip("/") or "INBOX"
        lowered = {f.lower() for f in flags}
        state = ([] if "\\seen" in lowered else ["UNREAD"]) + (["STARRED"] if "\\flagged" in lowered else [])
        if path.lower() == ARCHIVED.lower():
            return state
        system = FOLDER_LABELS.get(path.lower())
        meta: dict[str, Any] = {"labelIds": [system, *state]} if system else {"labelIds": state, "labels": [path]}
        return self.restorer._label_ids(mailbox, meta)

    def exists(self, mailbox: str, folder: str, message_id: str, sha256: str, *,
               received: datetime | None = None, sent: datetime | None = None) -> bool:
        if message_id:
            query = f"rfc822msgid:{message_id.strip('<>')}"
        elif sent is not None:  # imported with internalDateSource=dateHeader: internalDate is the Date header
            second = int(sent.timestamp())
            query = f"after:{second - 1} before:{second + 1}"
        else:
            return False
        http = self.restorer.http
        wanted = set(self._labels(mailbox, folder)) - {"UNREAD", "STARRED"}
        params: dict[str, Any] = {"q": query}
        while True:
            found = http.expect(self.restorer._send("GET", mailbox, "/messages", params=params)).json()
            for row in found.get("messages") or []:
                full = http.expect(self.restorer._send("GET", mailbox, f"/messages/{row['id']}",
                                                       params={"format": "raw"})).json()
                if wanted - set(full.get("labelIds") or []):
                    continue  # the same message under another label: not in this folder
                raw = str(full.get("raw") or "")
                if hashlib.sha256(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))).hexdigest() == sha256:
                    return True
            if not found.get("nextPageToken"):
                return False
            params = {"q": query, "pageToken": found["nextPageToken"]}

    def append(self, mailbox: str, folder: str, raw: bytes, internal_date: datetime | None,
               flags: Sequence[str] = ()) -> None:
        # Gmail sets internalDate only from the Date header (dateHeader) or the import time
        # (receivedTime); the Date header is the nearer to the original receive time.
        body = {"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": self._labels(mailbox, folder, flags)}
        self.restorer.http.expect(self.restorer._send("POST", mailbox, "/messages/import", body,
                                                      params={"internalDateSource": "dateHeader"}))


def build_mailbox_writer(settings: Mapping[str, Any], secret: str, egress: EgressPolicy | None) -> GmailMailboxWriter:
    return GmailMailboxWriter(MailRestorer(session_for(settings, secret, egress)))
