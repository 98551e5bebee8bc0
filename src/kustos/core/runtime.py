"""Process-wide resources opened from the one Settings object (vault, search index).

Django-side code asks here instead of opening its own; library packages never do.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings as django_settings

from kustos.config import Settings
from kustos.search import PostgresIndex, SearchIndex, TantivyIndex
from kustos.vault.factory import open_vault
from kustos.vault.vault import Vault


def settings() -> Settings:
    return django_settings.KUSTOS


@lru_cache(maxsize=1)
def vault() -> Vault:
    return open_vault(settings())


@lru_cache(maxsize=1)
def search_index() -> SearchIndex:
    s = settings()
    if s.effective_search_backend == "postgres":
        index = PostgresIndex(s.database_url.replace("postgres://", "postgresql://", 1))
        index.ensure_schema()
        return index
    return TantivyIndex(s.index_path)


def reset() -> None:
    """Forget opened resources (tests switch KUSTOS_HOME or storage)."""
    for fn in (vault, search_index):
        fn.cache_clear()
