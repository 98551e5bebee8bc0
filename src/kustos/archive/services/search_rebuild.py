"""Rebuilding a customer's archive search index (after an analysis/schema version change)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from kustos.archive.services import recover
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.tenants.models import Customer


def rebuild(customer: Customer, actor: Any, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Drop the customer's search index and index every archived message again (audited).
    While it runs the index is marked as being rebuilt: searches of the customer say so
    (IndexRebuilding) instead of answering from part of the archive."""
    started = time.monotonic()
    with runtime.search_index().rebuilding(customer.id, timezone.now().isoformat(timespec="seconds")):
        indexed = recover.rebuild_index(customer, progress)
    result = {"customer": customer.id, "indexed": indexed, "seconds": round(time.monotonic() - started, 1)}
    audit.record("archive.search_index.rebuild", actor=actor, customer=customer, target=customer.id,
                 detail={"indexed": indexed})
    return result
