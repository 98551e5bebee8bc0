"""The JSON body of an event: ``{"id","type","created","partner","customer","title","detail"}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from kustos.core.ids import new_id


def make(event_type: str, *, partner: Any, customer: Any, title: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id("ev"), "type": event_type, "created": timezone.now().isoformat(),
            "partner": getattr(partner, "id", partner), "customer": getattr(customer, "id", customer) or None,
            "title": title, "detail": dict(detail or {})}


def created_at(event: dict[str, Any]) -> Any:
    return datetime.fromisoformat(event["created"])
