"""Full-text search of archived mail: query language and index backends (no Django).

Public API::

    from kustos.search import (Document, SearchRequest, SearchResult, Hit, Facets,
                               SearchIndex, TantivyIndex, PostgresIndex, parse_query,
                               QuerySyntaxError)
"""

from kustos.search.backends.postgres_index import PostgresIndex
from kustos.search.backends.tantivy_index import TantivyIndex
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
