"""Process-wide resources opened from the one Settings object (vault, search index).

Django-side code asks here instead of opening its own; library packages never do.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING

from django.apps import apps
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


# One Vault per location URL (a Vault holds caches and per-customer stores), and each
# customer's location URL for a short while (a location is fixed once data exists).
_VAULTS: dict[str, Vault] = {}
_LOCATION_URLS: dict[str, tuple[float, str]] = {}
LOCATION_TTL = 60.0
_LOCK = threading.Lock()


def vault_at(url: str) -> Vault:
    """The vault at a storage location's ``vault_url`` (empty: the installation's vault)."""
    url = (url or "").strip()
    if not url or url == settings().vault_url.strip():
        return vault()
    with _LOCK:
        opened = _VAULTS.get(url)
        if opened is None:
            opened = _VAULTS[url] = open_vault(settings(), url=url)
        return opened


def location_url(customer_id: str) -> str:
    """The vault URL of the customer's storage location ("" = installation default; also for an
    id the database does not know, e.g. while ``vault recover`` rebuilds it)."""
    now = time.monotonic()
    cached = _LOCATION_URLS.get(customer_id)
    if cached is not None and now - cached[0] < LOCATION_TTL:
        return cached[1]
    customer_model = apps.get_model("tenants", "Customer")
    url = (customer_model.objects.filter(id=customer_id).values_list("location__vault_url", flat=True).first()
           or "")
    _LOCATION_URLS[customer_id] = (now, url)
    return url


def forget_location(customer_id: str) -> None:
    """Drop the cached location of a customer (its location was just set)."""
    _LOCATION_URLS.pop(customer_id, None)


def vault_for(customer_id: str) -> Vault:
    """The vault that holds ``customer_id``'s data (its storage location decides; requirement 26)."""
    return vault_at(location_url(customer_id))


def vaults() -> list[Vault]:
    """Every vault of the installation: the default one and each storage location's own, once."""
    location_model = apps.get_model("tenants", "StorageLocation")
    urls = sorted({(u or "").strip() for u in location_model.objects.values_list("vault_url", flat=True)} - {""})
    out = [vault()]
    for url in urls:
        opened = vault_at(url)
        if all(opened is not v for v in out):
            out.append(opened)
    return out


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
    return resolve("kustos.search:TantivyIndex")(s.index_path, hold_writer=False, open_indexes=s.search_open_indexes)


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
    _VAULTS.clear()
    _LOCATION_URLS.clear()
