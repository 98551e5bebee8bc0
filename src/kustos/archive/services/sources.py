"""Archive sources: add, edit, test, pause, remove, run (as jobs, on schedule and on demand).

A run fetches every scope (folder, mailbox, user) from its stored cursor and commits
the cursor only after the batch is durably archived, so a crash re-fetches at most
one batch (deduplication makes that harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from kustos.archive import connectors
from kustos.archive.models import Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import alerts, retention_on_server
from kustos.archive.services.ingest import Ingestor
from kustos.audit import services as audit
from kustos.core.secrets import open_secret, seal_secret
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.sources.base import ConnectorError
from kustos.tenants.models import Customer

PUBLIC_KEYS = {"host", "port", "security", "username", "mailbox", "include", "exclude", "tls_verify", "ca_file",
               "tenant_id", "client_id", "endpoint", "login_endpoint", "admin_email", "delete_after_days",
               "timeout"}


def _validate(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    if kind not in connectors.FACTORIES:
        raise ValidationError(f"unknown source kind {kind!r}; kinds: {', '.join(connectors.FACTORIES)}")
    unknown = set(config) - PUBLIC_KEYS
    if unknown:
        raise ValidationError(f"unknown source settings: {', '.join(sorted(unknown))}")
    missing = [k for k in connectors.REQUIRED[kind] if not config.get(k)]
    if missing:
        raise ValidationError(f"{kind} source needs: {', '.join(missing)}")
    if config.get("security", "tls") not in ("none", "starttls", "tls"):
        raise ValidationError("security must be none, starttls or tls")
    return {k: v for k, v in config.items() if v not in (None, "")}


def add(customer: Customer, kind: str, config: dict[str, Any], secret: str, *, name: str = "",
        interval_minutes: int = 15, actor: Any = None) -> Source:
    config = _validate(kind, config)
    if kind in ("imap", "pop3"):
        config.setdefault("mailbox", config["username"])
    source = Source(customer=customer, kind=kind, config=config, interval_minutes=max(1, interval_minutes),
                    name=name or config.get("mailbox") or config.get("tenant_id") or config.get("admin_email") or kind)
    source.secret = seal_secret(secret, source.id)
    source.save(force_insert=True)
    audit.record("source.add", actor=actor, customer=customer, target=source.id, detail={"kind": kind})
    return source


def update(source: Source, config: dict[str, Any] | None = None, secret: str | None = None, *,
           interval_minutes: int | None = None, paused: bool | None = None, actor: Any = None) -> Source:
    if config is not None:
        source.config = _validate(source.kind, {**source.config, **config})
    if secret:
        source.secret = seal_secret(secret, source.id)
    if interval_minutes is not None:
        source.interval_minutes = max(1, interval_minutes)
    if paused is not None:
        source.paused = paused
    source.save()
    audit.record("source.update", actor=actor, customer=source.customer, target=source.id,
                 detail={"paused": source.paused, "secret_changed": bool(secret)})
    return source


def remove(source: Source, *, actor: Any = None) -> None:
    """Disconnect a source; archived mail stays in the archive."""
    audit.record("source.remove", actor=actor, customer=source.customer, target=source.id, detail={"kind": source.kind})
    source.delete()


def connector(source: Source):
    return connectors.build(source.kind, source.config, open_secret(source.secret, source.id))


def test(source: Source) -> dict[str, Any]:
    try:
        connector(source).check()
    except ConnectorError as exc:
        return {"ok": False, "error": str(exc)}
    except (OSError, ValueError, KeyError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "error": None}


def _mailbox_for(source: Source, scope) -> str:
    """IMAP/POP3: the configured mailbox; tenant sources: the user's address (the scope name)."""
    if source.kind in ("imap", "pop3"):
        return source.config.get("mailbox") or source.config["username"]
    return (scope.name if "@" in scope.name else scope.id).lower()


def run(source: Source, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Fetch everything new from the source into the archive; returns counts."""
    source.last_run_at = timezone.now()
    fetched = imported = 0
    errors: list[str] = []
    try:
        conn = connector(source)
        with Ingestor(source.customer, workers=1).session() as ingestor:
            for scope in conn.scopes():
                cursor = source.cursors.get(scope.id)
                for batch in conn.fetch(scope, cursor):
                    items = [Incoming(raw=i.data, mailbox=_mailbox_for(source, scope),
                                      folders=[i.folder] if i.folder else [], source=f"{source.kind}:{source.id}",
                                      source_ref=source_ref(scope.id, i.source_id))
                             for i in batch.items if not i.deleted and i.data]
                    fetched += len(batch.items)
                    before = ingestor.result.imported
                    ingestor.run_batch(items) if items else None
                    imported += ingestor.result.imported - before
                    if batch.next_cursor is not None:
                        source.cursors = {**source.cursors, scope.id: batch.next_cursor}
                        Source.objects.filter(id=source.id).update(cursors=source.cursors)
                    if progress:
                        progress(fetched, None, f"{scope.name or scope.id}: {fetched} fetched")
    except (ConnectorError, OSError) as exc:
        _failed(source, str(exc))
        raise
    _succeeded(source, imported)
    result = {"id": source.id, "fetched": fetched, "imported": imported, "errors": errors}
    if source.kind == "imap" and int(source.config.get("delete_after_days") or 0) > 0:
        result["deleted_on_server"] = retention_on_server.expunge_archived(source, conn)
    return result


def source_ref(scope_id: str, item_id: str) -> str:
    """Where an item came from inside the source: ``<folder>#<uidvalidity:uid>`` for IMAP."""
    return f"{scope_id}#{item_id}"


def _succeeded(source: Source, imported: int) -> None:
    now = timezone.now()
    Source.objects.filter(id=source.id).update(
        last_run_at=source.last_run_at, last_success_at=now, last_error="", consecutive_failures=0,
        items_archived=source.items_archived + imported, alerted_at=None,
        **({"last_item_at": now} if imported else {}))


def _failed(source: Source, error: str) -> None:
    failures = source.consecutive_failures + 1
    Source.objects.filter(id=source.id).update(last_run_at=source.last_run_at, last_error=error[:2000],
                                               consecutive_failures=failures)
    source.consecutive_failures, source.last_error = failures, error
    alerts.source_failed(source)


def run_now(source: Source, *, actor: Any = None) -> Job:
    return jobs.create("source.run", customer=source.customer, params={"source": source.id},
                       created_by=getattr(actor, "email", actor) or "system", max_attempts=1)


def due(now=None) -> list[Source]:
    """Active sources whose interval has elapsed and that have no queued or running job."""
    now = now or timezone.now()
    busy = set(Job.objects.filter(kind="source.run", state__in=["queued", "running", "retrying"])
               .values_list("params__source", flat=True))
    result = []
    for source in Source.objects.filter(paused=False).filter(
            Q(last_run_at__isnull=True) | Q(last_run_at__lt=now - timedelta(minutes=1))):
        if source.id in busy:
            continue
        if source.last_run_at is None or source.last_run_at + timedelta(minutes=source.interval_minutes) <= now:
            result.append(source)
    return result


def public(source: Source) -> dict[str, Any]:
    """What API/CLI/dashboard show: never the secret."""
    return {
        "id": source.id, "kind": source.kind, "customer": source.customer_id, "name": source.name,
        "config": source.config, "paused": source.paused, "interval_minutes": source.interval_minutes,
        "last_run_at": source.last_run_at, "last_success_at": source.last_success_at,
        "last_error": source.last_error, "consecutive_failures": source.consecutive_failures,
        "items_archived": source.items_archived, "status": status(source),
    }


def status(source: Source) -> str:
    if source.paused:
        return "paused"
    if source.consecutive_failures >= alerts.FAILURE_THRESHOLD:
        return "failing"
    if source.consecutive_failures:
        return "warning"
    if source.last_success_at is None:
        return "pending"
    return "ok"
