"""What the Box contract and integration tests share: a fakecloud enterprise with an app and its users,
the backup connector over it, reading every batch of a scope, raw Box API calls with the app's token (to
look at what the emulator answers), and the sha256 the tests compare bytes with.

Integration tests import the Django-side helpers from ``tests/integration/backup/box_helpers.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import httpx

from fakecloud.testing import FakeCloudProcess
from kustos.sources.base import Cursor, Item, Scope
from kustos.sources.box import BoxBackupConnector, build_backup
from kustos.sources.egress import EgressPolicy

EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])

__all__ = ["EGRESS", "BoxApi", "BoxEnterprise", "everything", "read", "sha"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read(item: Item) -> bytes:
    assert item.stream is not None
    return b"".join(item.stream())


def everything(connector: BoxBackupConnector, scope: Scope,
               cursor: Cursor | None = None) -> tuple[list[Item], Cursor | None, bool]:
    """Every item of every batch of ``scope``, the last cursor handed back, and whether a batch reset."""
    items: list[Item] = []
    last: Cursor | None = None
    reset = False
    for batch in connector.fetch(scope, cursor):
        items += batch.items
        reset = reset or batch.reset
        last = batch.next_cursor if batch.next_cursor is not None else last
    return items, last, reset


class BoxEnterprise:
    """A fresh fakecloud (reset) with one Box enterprise, its app's settings and the given users."""

    def __init__(self, cloud: FakeCloudProcess, enterprise: str, users: Iterable[str]) -> None:
        self.control = cloud.control
        self.enterprise = enterprise
        self.control.call("reset")
        self.settings: dict[str, Any] = self.control.credentials("box", enterprise)
        for login in users:  # seeding a file creates the user
            self.control.seed("box", enterprise, login, "file", "/.keep", b"")
            self.control.remove("box", enterprise, login, "file", "/.keep")

    def build(self, services: Iterable[str] = ("files",)) -> BoxBackupConnector:
        return build_backup(self.settings, self.settings["client_secret"], EGRESS, list(services))

    def seed(self, account: str, path: str, data: bytes, **meta: Any) -> dict[str, str]:
        return self.control.seed("box", self.enterprise, account, "file", path, data, meta=meta or None)

    def files(self, account: str = "") -> dict[str, dict[str, Any]]:
        """The emulator's files of ``account`` by path (sha256, comments, metadata, collaborations)."""
        return {row["path"]: row for row in self.control.items("box", self.enterprise, "file", account)}

    def folders(self, account: str = "") -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.control.items("box", self.enterprise, "folder", account)}

    def templates(self) -> dict[str, dict[str, Any]]:
        return {row["path"]: row for row in self.control.items("box", self.enterprise, "metadata_template")}


class BoxApi:
    """Raw Box API calls with the app's token (As-User when a user is given)."""

    def __init__(self, connector: BoxBackupConnector) -> None:
        self.session = connector.session

    def _headers(self, user: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.session._token.token()}"}
        return {**headers, "As-User": user} if user else headers

    def get(self, path: str, user: str | None = None, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.session.base}{path}", params=params, headers=self._headers(user))

    def post(self, path: str, body: Any, user: str | None = None, content_type: str = "application/json",
             method: str = "POST") -> httpx.Response:
        return httpx.request(method, f"{self.session.base}{path}", content=json.dumps(body).encode(),
                             headers={**self._headers(user), "Content-Type": content_type})
