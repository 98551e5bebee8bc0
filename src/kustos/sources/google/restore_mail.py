"""Put backed-up Gmail messages back with ``users.messages.import`` (raw RFC 822, byte for byte) and
their labels: system labels by id, user labels by name (created in the target mailbox when missing).

Conflict: in the same mailbox, ``skip`` keeps a message that is still there (same message id); other
modes, and any other mailbox, import a copy.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from kustos.sources.google.session import GoogleSession

MODIFY = "https://www.googleapis.com/auth/gmail.modify"
SYSTEM = {"INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CATEGORY_PERSONAL",
          "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS", "CHAT"}


class MailRestorer:
    def __init__(self, session: GoogleSession) -> None:
        self.session = session
        self.http = session.http
        self._labels: dict[str, dict[str, str]] = {}  # user -> lower-cased name -> id

    def _url(self, user: str, path: str) -> str:
        return f"{self.session.gmail}/users/{quote(user, safe='@')}{path}"

    def _send(self, method: str, user: str, path: str, body: Mapping[str, Any] | None = None,
              params: Mapping[str, str] | None = None) -> Any:
        response = self.http.request(method, self._url(user, path), key=user, params=params,
                                     token=self.session.tokens.for_user(user, MODIFY),
                                     content=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"} if body is not None else None)
        return response

    def _label_ids(self, user: str, meta: Mapping[str, Any]) -> list[str]:
        if user not in self._labels:
            body = self.http.expect(self._send("GET", user, "/labels")).json()
            self._labels[user] = {str(r["name"]).lower(): str(r["id"]) for r in body.get("labels", [])}
        known = self._labels[user]
        ids = [x for x in (str(v) for v in meta.get("labelIds") or []) if x in SYSTEM]
        system_names = {x.lower() for x in ids}
        for name in (str(n) for n in meta.get("labels") or []):
            if name.upper() in SYSTEM or name.lower() in system_names:
                continue
            if name.lower() not in known:
                created = self.http.expect(self._send("POST", user, "/labels", {"name": name})).json()
                known[name.lower()] = str(created["id"])
            ids.append(known[name.lower()])
        return list(dict.fromkeys(ids))

    def put(self, user: str, raw: bytes, meta: Mapping[str, Any], *, same_account: bool, conflict: str) -> str:
        message_id = str(meta.get("source_id") or "")
        if same_account and conflict == "skip" and message_id:
            found = self._send("GET", user, f"/messages/{quote(message_id, safe='')}", params={"format": "minimal"})
            if found.status_code == 200:
                return "skipped"
        body = {"raw": base64.urlsafe_b64encode(raw).decode(), "labelIds": self._label_ids(user, meta)}
        self.http.expect(self._send("POST", user, "/messages/import", body,
                                    params={"internalDateSource": "dateHeader"}))
        return "restored"
