"""The search index key of a customer's backup items (a partition beside the archive's; no imports, so
the customer wipe can name it without loading the backup or mail stack)."""

from __future__ import annotations

SUFFIX = ".backup"


def partition(customer_id: str) -> str:
    """``<customer id>.backup`` (``search.base.check_customer`` accepts it)."""
    return customer_id + SUFFIX
