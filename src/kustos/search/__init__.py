"""Full-text search of archived mail: query language and index backends (no Django).

Public API::

    from kustos.search import (Document, SearchRequest, SearchResult, Hit, Facets,
                               SearchIndex, TantivyIndex, PostgresIndex, parse_query,
                               QuerySyntaxError)
"""

import importlib
from typing import TYPE_CHECKING, Any

from kustos.search.base import (
    IndexBusy,
    IndexOutdated,
    IndexRebuilding,
    InvalidCustomer,
    SearchError,
    SearchIndex,
)
from kustos.search.document import Document, InvalidDocument
from kustos.search.query.errors import QuerySyntaxError
from kustos.search.query.parser import parse_query
from kustos.search.types import Facets, Hit, InvalidRequest, SearchRequest, SearchResult

if TYPE_CHECKING:
    from kustos.search.backends.postgres_index import PostgresIndex
    from kustos.search.backends.tantivy_index import TantivyIndex

# The backends load tantivy or psycopg: imported on first use, so a command that only names a
# search error or a request type (the backup CLI, `kustos partner list`) does not load them.
_BACKENDS = {"PostgresIndex": "kustos.search.backends.postgres_index",
             "TantivyIndex": "kustos.search.backends.tantivy_index"}


def __getattr__(name: str) -> Any:
    module = _BACKENDS.get(name)
    if module is None:
        raise AttributeError(f"module 'kustos.search' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

__all__ = [
    "Document",
    "Facets",
    "Hit",
    "IndexBusy",
    "IndexOutdated",
    "IndexRebuilding",
    "InvalidCustomer",
    "InvalidDocument",
    "InvalidRequest",
    "PostgresIndex",
    "QuerySyntaxError",
    "SearchError",
    "SearchIndex",
    "SearchRequest",
    "SearchResult",
    "TantivyIndex",
    "parse_query",
]
