"""The backend interface every search index implements (tantivy, PostgreSQL)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from kustos.search.document import Document
from kustos.search.types import SearchRequest, SearchResult

_CUSTOMER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class SearchError(Exception):
    """Base class of search backend failures."""


class InvalidCustomer(SearchError, ValueError):
    """A customer id is not usable as an index key (letters, digits, ``_.-``, ≤128 chars)."""

    def __init__(self, customer: str) -> None:
        super().__init__(f"invalid customer id {customer!r}: use letters, digits, '_', '.', '-' (max 128)")


class IndexBusy(SearchError):
    """Another process holds the index writer of this customer for longer than we waited."""

    def __init__(self, customer: str, waited: float) -> None:
        super().__init__(f"search index of customer {customer!r} is locked by another writer (waited {waited:.1f}s)")


class IndexOutdated(SearchError):
    """The customer's index was built by another analysis/schema version: searching it would
    mix old and new analysis, so it answers nothing until it is rebuilt."""

    def __init__(self, customer: str, found: str, expected: str) -> None:
        super().__init__(
            f"search index of customer {customer!r} is version {found}, this Kustos needs {expected}: "
            f"rebuild it (kustos index rebuild --customer {customer}); until then it answers no searches"
        )
        self.customer = customer


class IndexRebuilding(IndexOutdated):
    """The customer's index is being rebuilt (``SearchIndex.rebuilding``): a search would see
    part of the archive only, so it answers nothing and says so until the rebuild ends."""

    def __init__(self, customer: str, since: str) -> None:
        SearchError.__init__(
            self,
            f"search index of customer {customer!r} is being rebuilt (since {since}); search again when "
            f"it is done (a rebuild that was interrupted: run kustos index rebuild --customer {customer} again)",
        )
        self.customer = customer


def check_customer(customer: str) -> str:
    """Return ``customer`` if it is a valid id, else raise InvalidCustomer."""
    if not _CUSTOMER.match(customer) or ".." in customer:
        raise InvalidCustomer(customer)
    return customer


class SearchIndex(ABC):
    """A full-text index of archived messages, partitioned by customer.

    Writes (``add``/``delete``/``clear``) become visible to ``search``/``count`` after
    ``commit()``. ``add`` upserts by (customer, id). Inside ``with index.bulk():`` writes
    are buffered with large batches and committed once when the block ends (rebuilds).
    """

    @abstractmethod
    def add(self, docs: Iterable[Document]) -> None:
        """Index (or replace) ``docs``; documents of several customers may be mixed."""

    @abstractmethod
    def delete(self, customer: str, ids: Iterable[str]) -> None:
        """Remove the documents with these archive ids from the customer's index."""

    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResult:
        """Run ``request``; raises QuerySyntaxError for malformed query text."""

    @abstractmethod
    def count(self, customer: str) -> int:
        """Number of committed documents of the customer (restricted ones included)."""

    @abstractmethod
    def commit(self) -> None:
        """Make all writes so far durable and visible."""

    @abstractmethod
    def rollback(self) -> None:
        """Discard writes not yet committed."""

    @abstractmethod
    def clear(self, customer: str) -> None:
        """Remove every document of the customer (takes effect at commit)."""

    @abstractmethod
    def close(self) -> None:
        """Release writers, readers and connections (uncommitted writes are discarded)."""

    @abstractmethod
    def set_rebuilding(self, customer: str, since: str | None) -> None:
        """Mark the customer's index as being rebuilt since ``since`` (a time text), or no longer
        (None); seen by every process. While marked, ``search`` raises IndexRebuilding."""

    @contextmanager
    def rebuilding(self, customer: str, since: str) -> Iterator[None]:
        """The customer's index is marked as being rebuilt while the block runs."""
        self.set_rebuilding(customer, since)
        try:
            yield
        finally:
            self.set_rebuilding(customer, None)

    @abstractmethod
    def _set_bulk(self, on: bool) -> None:
        """Switch bulk mode on/off (backend-specific buffering)."""

    @contextmanager
    def bulk(self) -> Iterator[SearchIndex]:
        """Bulk mode for rebuilds: large batches; ``commit()`` calls inside the block are
        deferred to one commit when it ends; an exception discards the uncommitted writes."""
        self._set_bulk(True)
        try:
            yield self
        except BaseException:
            self._set_bulk(False)
            self.rollback()
            raise
        self._set_bulk(False)
        self.commit()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
