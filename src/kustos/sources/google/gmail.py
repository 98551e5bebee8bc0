"""The ``gmail`` backup service: every message of every mailbox as raw RFC 822, with its labels.

The same full listing and ``history.list`` increments as the Gmail archive (``GmailConnector``),
so deletions are seen and an expired history id starts the mailbox again with ``reset=True``.
Items: kind ``mail``, named ``<message id>.eml`` in the folder of their first user / system label;
``meta["labels"]`` keeps every label's name. Cursor: the archive connector's (``historyId``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

from kustos.sources.base import Batch, Cursor, Scope
from kustos.sources.google.session import GoogleSession


class GmailService:
    name: ClassVar[str] = "gmail"

    def __init__(self, session: GoogleSession) -> None:
        self.session = session

    def scopes(self) -> Iterator[Scope]:
        yield from self.session.scopes()  # users with a Gmail mailbox

    def check(self, scope: Scope) -> None:
        self.session._get(scope, f"{self.session._user_url(scope)}/profile")

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        for batch in self.session.fetch(scope, cursor):
            items = [replace(item, kind="mail", meta={**item.meta, "name": f"{item.source_id}.eml"})
                     for item in batch.items]
            yield Batch(items, batch.next_cursor, batch.reset)
