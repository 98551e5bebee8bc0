"""State of the emulated Google Workspace domain: service accounts, users, labels, mail, history.

History ids are per-mailbox and monotonic, as in Gmail. ``history_floor`` models the
retention window: a ``startHistoryId`` below it is answered with 404.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from fakecloud.google.workspace import Workspace

SYSTEM_LABELS = ("INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT",
                 "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES",
                 "CATEGORY_FORUMS", "CHAT")


@dataclass
class ServiceAccount:
    client_email: str
    client_id: str
    public_key_pem: bytes
    scopes: set[str]  # scopes granted to the client id by domain-wide delegation


@dataclass
class GmailMessage:
    id: str
    thread_id: str
    raw: bytes
    label_ids: list[str]
    internal_date: int
    history_id: int


@dataclass
class HistoryRecord:
    id: int
    kind: str  # messageAdded | messageDeleted | labelAdded | labelRemoved
    message_id: str
    thread_id: str
    label_ids: list[str] = field(default_factory=list)


@dataclass
class GoogleUser:
    id: str
    email: str
    full_name: str
    is_admin: bool = False
    mailbox: bool = True
    suspended: bool = False
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, type)
    messages: dict[str, GmailMessage] = field(default_factory=dict)
    history: list[HistoryRecord] = field(default_factory=list)
    history_id: int = 1000
    history_floor: int = 0


@dataclass
class GoogleToken:
    subject: str
    scopes: set[str]
    expires_at: float


def _hex_id() -> str:
    return secrets.token_hex(8)


class GoogleStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.users: dict[str, GoogleUser] = {}  # by lower-cased primary email
        self.tokens: dict[str, GoogleToken] = {}
        self.token_lifetime = 3599
        self.workspace = Workspace(self.lock)  # Drive, Calendar, People and Tasks data

    def add_service_account(self, client_email: str, client_id: str, public_key_pem: bytes,
                            scopes: list[str]) -> None:
        with self.lock:
            self.service_accounts[client_email] = ServiceAccount(client_email, client_id, public_key_pem, set(scopes))

    def set_delegated_scopes(self, client_email: str, scopes: list[str]) -> None:
        with self.lock:
            self.service_accounts[client_email].scopes = set(scopes)

    def issue_token(self, subject: str, scopes: set[str]) -> tuple[str, int]:
        with self.lock:
            token = "ya29.fake-" + secrets.token_urlsafe(24)
            self.tokens[token] = GoogleToken(subject, scopes, time.time() + self.token_lifetime)
            return token, self.token_lifetime

    def add_user(self, email: str, full_name: str = "", is_admin: bool = False, mailbox: bool = True,
                 suspended: bool = False) -> str:
        with self.lock:
            user = GoogleUser(str(secrets.randbelow(10**20)), email, full_name or email.split("@")[0],
                              is_admin, mailbox, suspended)
            user.labels = {name: (name, "system") for name in SYSTEM_LABELS}
            self.users[email.lower()] = user
            return user.id

    def user(self, key: str) -> GoogleUser | None:
        return self.users.get(key.lower())

    def add_label(self, email: str, name: str) -> str:
        with self.lock:
            user = self.users[email.lower()]
            label_id = f"Label_{len(user.labels) + 1}"
            user.labels[label_id] = (name, "user")
            return label_id

    def _record(self, user: GoogleUser, kind: str, message: GmailMessage, label_ids: list[str]) -> None:
        user.history_id += 1
        message.history_id = user.history_id
        user.history.append(HistoryRecord(user.history_id, kind, message.id, message.thread_id, label_ids))

    def add_message(self, email: str, raw: bytes, label_ids: list[str], thread_id: str | None = None) -> str:
        with self.lock:
            user = self.users[email.lower()]
            for label in label_ids:
                if label not in user.labels:
                    raise KeyError(f"no label {label}")
            message_id = _hex_id()
            message = GmailMessage(message_id, thread_id or message_id, raw, list(label_ids),
                                   int(time.time() * 1000), 0)
            user.messages[message_id] = message
            self._record(user, "messageAdded", message, list(label_ids))
            return message_id

    def delete_message(self, email: str, message_id: str) -> None:
        with self.lock:
            user = self.users[email.lower()]
            message = user.messages.pop(message_id)
            self._record(user, "messageDeleted", message, [])

    def modify_labels(self, email: str, message_id: str, add: list[str], remove: list[str]) -> None:
        with self.lock:
            user = self.users[email.lower()]
            message = user.messages[message_id]
            if add:
                message.label_ids += [label for label in add if label not in message.label_ids]
                self._record(user, "labelAdded", message, add)
            if remove:
                message.label_ids = [label for label in message.label_ids if label not in remove]
                self._record(user, "labelRemoved", message, remove)

    def expire_history(self, email: str) -> None:
        """Drop all retained history: every history id issued so far becomes too old."""
        with self.lock:
            user = self.users[email.lower()]
            user.history_id += 1
            user.history_floor = user.history_id
            user.history = []
