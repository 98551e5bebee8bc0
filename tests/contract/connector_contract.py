"""The shared connector contract suite (DESIGN.md, "Connectors").

Every connector's test module subclasses :class:`ConnectorContract` and provides a
``contract_source`` fixture returning a :class:`ContractSource`: an adapter that
builds the connector and creates, deletes, resets and throttles items *at the real
(or emulated) source*. The suite then proves, against that source:

1. the first fetch (cursor ``None``) returns everything;
2. fetching again with the kept cursor returns nothing;
3. a change returns only the delta, deletions included (deletion markers);
4. an invalidated cursor is honoured: ``reset=True`` (or ``CursorExpired`` and a
   fresh enumeration) with every current item delivered again;
5. throttling (429 + Retry-After or the source's equivalent) is obeyed: the fetch
   still completes and the source saw no request before the advertised time.

Items are compared by :meth:`ContractSource.key` (default: SHA-256 of the bytes),
so sources that rewrite ids still pass. Capabilities a protocol cannot have (POP3
has no server-side reset, IMAP no 429) are switched off with the class flags;
each switched-off test is reported as skipped with the reason.

Example::

    class TestImapContract(ConnectorContract):
        supports_throttling = False

        @pytest.fixture
        def contract_source(self, dovecot) -> ContractSource:
            return DovecotImapSource(dovecot)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import pytest

from kustos.sources.base import Batch, Connector, Cursor, CursorExpired, Item, Scope


class ContractSource(Protocol):
    """What a connector's contract test provides about its source."""

    def connector(self) -> Connector:
        """A connector instance pointed at the source."""

    def scope(self) -> Scope:
        """The scope under test (it may also check that ``connector().scopes()`` lists it)."""

    def create(self, count: int) -> list[bytes]:
        """Create ``count`` new, distinct items at the source; return their expected bytes."""

    def delete(self, item: Item) -> None:
        """Delete this (previously fetched) item at the source."""

    def invalidate_cursor(self) -> None:
        """Make the source reject/invalidate existing cursors (UIDVALIDITY change, 410, ...)."""

    def throttle(self, requests: int, retry_after: float) -> None:
        """Answer the next ``requests`` requests with the source's throttling response."""

    def throttle_obeyed(self) -> bool:
        """True when no request arrived before the Retry-After the source advertised."""


def item_key(item: Item) -> str:
    return hashlib.sha256(item.data).hexdigest()


def bytes_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Drained:
    """Everything one complete fetch run produced."""

    items: list[Item] = field(default_factory=list)
    deletions: list[Item] = field(default_factory=list)
    cursor: Cursor | None = None
    reset: bool = False
    batches: int = 0

    @property
    def keys(self) -> list[str]:
        return [item_key(item) for item in self.items]


def drain(connector: Connector, scope: Scope, cursor: Cursor | None) -> Drained:
    """Run ``fetch`` to the end as a caller would, committing each batch's cursor."""
    result = Drained(cursor=cursor)
    batch: Batch
    for batch in connector.fetch(scope, cursor):
        result.batches += 1
        result.reset = result.reset or batch.reset
        for item in batch.items:
            (result.deletions if item.deleted else result.items).append(item)
        if batch.next_cursor is not None:
            result.cursor = batch.next_cursor
    return result


def drain_allowing_expiry(connector: Connector, scope: Scope, cursor: Cursor | None) -> Drained:
    """Like :func:`drain`, but a CursorExpired restarts from scratch (and counts as reset)."""
    try:
        return drain(connector, scope, cursor)
    except CursorExpired:
        result = drain(connector, scope, None)
        result.reset = True
        return result


class ConnectorContract:
    """Base class of every connector's contract test (see module docstring)."""

    supports_deletions: ClassVar[bool] = True
    supports_reset: ClassVar[bool] = True
    supports_throttling: ClassVar[bool] = True
    #: Items created before the first fetch; small so the suite stays fast.
    initial_items: ClassVar[int] = 5

    @pytest.fixture
    def contract_source(self) -> ContractSource:  # pragma: no cover - must be overridden
        raise NotImplementedError("subclasses provide the contract_source fixture")

    @pytest.fixture
    def seeded(self, contract_source: ContractSource) -> tuple[ContractSource, list[bytes], Drained]:
        created = contract_source.create(self.initial_items)
        first = drain(contract_source.connector(), contract_source.scope(), None)
        return contract_source, created, first

    @staticmethod
    def _multiset(keys: Iterable[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        return counts

    def test_scope_is_listed(self, contract_source: ContractSource) -> None:
        ids = {scope.id for scope in contract_source.connector().scopes()}
        assert contract_source.scope().id in ids

    def test_first_fetch_returns_everything(self, seeded: Any) -> None:
        _source, created, first = seeded
        assert self._multiset(first.keys) == self._multiset(bytes_key(data) for data in created)
        assert not first.reset
        assert not first.deletions
        assert first.cursor is not None

    def test_refetch_with_cursor_returns_nothing(self, seeded: Any) -> None:
        source, _created, first = seeded
        again = drain(source.connector(), source.scope(), first.cursor)
        assert again.items == [] and again.deletions == []
        assert not again.reset

    def test_change_returns_only_delta(self, seeded: Any) -> None:
        source, _created, first = seeded
        added = source.create(3)
        gone = first.items[0]
        if self.supports_deletions:
            source.delete(gone)
        delta = drain(source.connector(), source.scope(), first.cursor)
        assert self._multiset(delta.keys) == self._multiset(bytes_key(data) for data in added)
        assert not delta.reset
        if self.supports_deletions:
            assert [item.source_id for item in delta.deletions] == [gone.source_id]
        quiet = drain(source.connector(), source.scope(), delta.cursor)
        assert quiet.items == [] and quiet.deletions == []

    def test_reset_is_honoured(self, seeded: Any) -> None:
        if not self.supports_reset:
            pytest.skip(f"{type(self).__name__}: the source cannot invalidate cursors")
        source, created, first = seeded
        source.invalidate_cursor()
        rescan = drain_allowing_expiry(source.connector(), source.scope(), first.cursor)
        assert rescan.reset
        assert set(rescan.keys) == {bytes_key(data) for data in created}
        after = drain(source.connector(), source.scope(), rescan.cursor)
        assert after.items == [] and not after.reset

    def test_throttling_is_obeyed(self, contract_source: ContractSource) -> None:
        if not self.supports_throttling:
            pytest.skip(f"{type(self).__name__}: the protocol has no throttling response")
        created = contract_source.create(self.initial_items)
        contract_source.throttle(requests=2, retry_after=1.0)
        result = drain(contract_source.connector(), contract_source.scope(), None)
        assert set(result.keys) == {bytes_key(data) for data in created}
        assert contract_source.throttle_obeyed()
