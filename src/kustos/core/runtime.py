"""Process-wide resources opened from the one Settings object (vault, search index).

Django-side code asks here instead of opening its own; library packages never do.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings as django_settings

from kustos.config import Settings


def settings() -> Settings:
    return django_settings.KUSTOS


@lru_cache(maxsize=1)
def vault() -> Any:
    # Imported here on purpose: the vault pulls in heavy crypto/compression modules that
    # dashboard-only processes and `kustos --help` should not pay for.
    from kustos.vault.factory import open_vault

    return open_vault(settings())


def reset() -> None:
    """Forget opened resources (tests switch KUSTOS_HOME)."""
    vault.cache_clear()
