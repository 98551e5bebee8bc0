"""Process-wide resources opened from the one Settings object (vault, search index).

Django-side code asks here instead of opening its own; library packages never do.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings as django_settings
from django.db import connections

from kustos.config import Settings
from kustos.core.lazy import resolve
from kustos.vault.factory import open_vault
from kustos.vault.store import CustomerStore
from kustos.vault.vault import Vault

if TYPE_CHECKING:  # the index backends (tantivy, psycopg) load on first use: a backup run needs neither
    from kustos.search import SearchIndex


def settings() -> Settings:
    return django_settings.KUSTOS


@lru_cache(maxsize=1)
def vault() -> Vault:
    return open_vault(settings())


def vault_for(customer_id: str) -> Vault:
    """The vault that holds ``customer_id``'s data (its storage location decides; requirement 26)."""
    return vault()


def store_for(customer_id: str) -> CustomerStore:
    """The customer's store in the vault of its storage location."""
    return vault_for(customer_id).store(customer_id)


@lru_cache(maxsize=1)
def search_index() -> SearchIndex:
    s = settings()
    if s.effective_search_backend == "postgres":
        index = resolve("kustos.search:PostgresIndex")(_dsn_of_default_database())
        index.ensure_schema()
        return index
    # Release the writer after every commit: `kustos import`, workers and `serve` may all index
    # the same customer from different processes.
    return resolve("kustos.search:TantivyIndex")(s.index_path, hold_writer=False)


def _dsn_of_default_database() -> str:
    """The DSN of the database Django actually uses (the test database under pytest)."""
    conf = connections["default"].settings_dict
    parts = {"dbname": conf["NAME"], "user": conf.get("USER"), "password": conf.get("PASSWORD"),
             "host": conf.get("HOST"), "port": conf.get("PORT")}
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def reset() -> None:
    """Forget opened resources (tests switch KUSTOS_HOME or storage)."""
    for fn in (vault, search_index):
        fn.cache_clear()
