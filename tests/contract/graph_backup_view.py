"""What the Graph backup contract suites (``test_graph_backup_*.py``) share.

:class:`ContractView` wraps the backup connector for the shared connector contract: ``check`` and
``scopes`` pass through, ``fetch`` keeps the item kinds a suite is about and replaces each live
item's ``data`` by the key the suite seeded (file bytes, a list item's Title, a message body, ...),
so the contract can compare what it created with what came back. A suite only says which kinds and
which key.

:class:`GraphSource` is the fakecloud side every suite's contract source starts from: a fresh
tenant with an app registration, the backup connector for the suite's services, and the throttling
hooks of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import ClassVar

from fakecloud.testing import FakeCloudProcess, throttle_obeyed
from kustos.sources.base import Batch, Cursor, Item, Scope
from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup import GraphBackupConnector, build_backup

EGRESS = EgressPolicy.from_values(False, ["127.0.0.1/32"])


class ContractView:
    """Contract view of a Graph backup connector: items of ``kinds`` (all when ``None``), keyed by ``key``."""

    name: ClassVar[str] = "graph-backup"
    kinds: ClassVar[frozenset[str] | None] = None

    def __init__(self, inner: GraphBackupConnector) -> None:
        self.inner = inner

    def check(self) -> None:
        self.inner.check()

    def scopes(self) -> Iterator[Scope]:
        yield from self.inner.scopes()

    def key(self, item: Item) -> bytes:
        """What the suite seeded for this (live) item."""
        raise NotImplementedError

    def fetch(self, scope: Scope, cursor: Cursor | None) -> Iterator[Batch]:
        for batch in self.inner.fetch(scope, cursor):
            items = [i if i.deleted else replace(i, data=self.key(i))
                     for i in batch.items if self.kinds is None or i.kind in self.kinds]
            yield Batch(items, batch.next_cursor, batch.reset)


class GraphSource:
    """A fresh fakecloud tenant with an app registration and the backup connector for ``services``."""

    tenant: ClassVar[str]

    def __init__(self, cloud: FakeCloudProcess, services: Iterable[str]) -> None:
        self.cloud = cloud
        self.control = cloud.control
        self.control.call("reset")
        self.settings = self.control.credentials("ms", self.tenant)
        self.services = tuple(services)

    def build(self, services: Iterable[str] | None = None) -> GraphBackupConnector:
        connector: GraphBackupConnector = build_backup(self.settings, self.settings["client_secret"], EGRESS,
                                                       tuple(services) if services is not None else self.services)
        return connector

    def throttle(self, requests: int, retry_after: float) -> None:
        self.control.throttle("/v1.0/", requests, retry_after)

    def throttle_obeyed(self) -> bool:
        return throttle_obeyed(self.control.stats())
