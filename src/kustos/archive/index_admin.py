"""Dropping a customer's search index (customer wipe, rebuild after a schema change)."""

from __future__ import annotations

from kustos.search import SearchIndex


def drop(index: SearchIndex, customer_id: str) -> None:
    """Remove every trace of the customer from the index.

    Backends with per-customer storage (tantivy directories) delete it outright, which
    also works when the stored schema is from an older version; others delete rows.
    """
    destroy = getattr(index, "destroy", None)
    if destroy is not None:
        destroy(customer_id)
        return
    index.clear(customer_id)
    index.commit()
