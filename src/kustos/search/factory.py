"""Choosing and opening the search backend from the one Settings object."""

from __future__ import annotations

from kustos.config import Settings
from kustos.search.backends.postgres_index import PostgresIndex
from kustos.search.backends.tantivy_index import TantivyIndex
from kustos.search.base import SearchError, SearchIndex


class UnknownBackend(SearchError, ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown search backend {name!r}: use 'tantivy' or 'postgres'")


def open_index(settings: Settings) -> SearchIndex:
    """The configured backend (``Settings.effective_search_backend``): tantivy under
    ``settings.index_path``, or PostgreSQL at ``settings.database_url`` (table created if missing)."""
    name = settings.effective_search_backend
    if name == "tantivy":
        return TantivyIndex(settings.index_path, open_indexes=settings.search_open_indexes)
    if name == "postgres":
        if not settings.database_url:
            raise SearchError("search backend 'postgres' needs KUSTOS_DATABASE_URL")
        index = PostgresIndex(settings.database_url)
        index.ensure_schema()
        return index
    raise UnknownBackend(name)
