"""Model → API dict conversions used by routers and the CLI (one shape for both)."""

from __future__ import annotations

from typing import Any

from kustos.accounts.models import ApiToken, User
from kustos.jobs.models import Job
from kustos.tenants.models import Customer, Partner, StorageLocation


def partner(p: Partner) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "created_at": p.created_at}


def location(loc: StorageLocation) -> dict[str, Any]:
    return {"id": loc.id, "name": loc.name, "country": loc.country}


def customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "partner": c.partner_id, "legal_name": c.legal_name,
        "customer_number": c.customer_number, "location": c.location_id, "location_country": c.location.country,
        "status": c.status, "services": c.services, "storage_bytes": c.storage_bytes,
        "mailboxes": c.mailbox_count, "last_activity_at": c.last_activity_at, "created_at": c.created_at,
    }


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "name": u.name, "role": u.role, "partner": u.partner_id,
            "customer": u.customer_id, "is_active": u.is_active}


def job(j: Job) -> dict[str, Any]:
    return {
        "id": j.id, "kind": j.kind, "customer": j.customer_id, "state": j.state, "progress": j.progress,
        "progress_text": j.progress_text, "error": j.error, "attempts": j.attempts, "result": j.result,
        "created_at": j.created_at, "started_at": j.started_at, "finished_at": j.finished_at,
        "heartbeat_at": j.heartbeat_at, "heartbeat_age": j.heartbeat_age, "worker": j.worker,
    }


def token(t: ApiToken) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at,
            "last_used_at": t.last_used_at, "expires_at": t.expires_at, "revoked": t.revoked_at is not None}
