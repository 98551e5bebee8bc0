"""Archive sources: add, edit, test, pause, remove, run (as jobs, on schedule and on demand).

A run fetches every scope (folder, mailbox, user) from its stored cursor and commits
the cursor only after the batch is durably archived, so a crash re-fetches at most
one batch (deduplication makes that harmless).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from kustos.archive import connectors
from kustos.archive.models import Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services import alerts, retention_on_server
from kustos.archive.services.ingest import Ingestor
from kustos.audit import services as audit
from kustos.core import runtime
from kustos.core.secrets import open_secret, seal_secret
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.sources.base import ConnectorError
from kustos.sources.cacerts import CaPemInvalid, normalise_ca_pem
from kustos.sources.egress import EgressPolicy, EgressRefused
from kustos.tenants.models import Customer

PUBLIC_KEYS = {"host", "port", "security", "username", "mailbox", "include", "exclude", "tls_verify", "ca_pem",
               "tenant_id", "client_id", "endpoint", "login_endpoint", "admin_email", "delete_after_days",
               "timeout"}
# Settings that decide where the stored secret is sent: changing one needs the secret entered again.
SECRET_BOUND = {"host": "host", "port": "port", "security": "security mode", "username": "username",
                "endpoint": "endpoint", "login_endpoint": "login endpoint", "tenant_id": "tenant id",
                "ca_pem": "CA certificate", "tls_verify": "TLS verification"}
SECRET_NAMES = {"imap": "password", "pop3": "password", "graph": "client secret", "gmail": "service-account key"}
LEGACY_KEYS = {"ca_file"}  # a server path; replaced by uploaded PEM (ca_pem), dropped from stored configs


def egress_policy() -> EgressPolicy:
    """The installation's egress policy for sources (from Settings, read at every use)."""
    settings = runtime.settings()
    return EgressPolicy.from_values(settings.sources_allow_private_networks, settings.sources_allowed_networks)


def _validate(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    if kind not in connectors.FACTORIES:
        raise ValidationError(f"unknown source kind {kind!r}; kinds: {', '.join(connectors.FACTORIES)}")
    if "ca_file" in config:
        raise ValidationError("ca_file (a path on the server) is not accepted; upload the CA certificate "
                              "as PEM text (ca_pem)")
    unknown = set(config) - PUBLIC_KEYS
    if unknown:
        raise ValidationError(f"unknown source settings: {', '.join(sorted(unknown))}")
    missing = [k for k in connectors.REQUIRED[kind] if not config.get(k)]
    if missing:
        raise ValidationError(f"{kind} source needs: {', '.join(missing)}")
    if config.get("security", "tls") not in ("none", "starttls", "tls"):
        raise ValidationError("security must be none, starttls or tls")
    config = {k: v for k, v in config.items() if v not in (None, "")}
    if "port" in config:
        config["port"] = _port(config["port"])
    if "host" in config:
        config["host"] = _host(config["host"])
    for key in ("endpoint", "login_endpoint"):
        if key in config:
            config[key] = _url(key, config[key])
    if "tls_verify" in config and not isinstance(config["tls_verify"], bool):
        raise ValidationError("tls_verify must be true or false")
    if "ca_pem" in config:
        try:
            config["ca_pem"] = normalise_ca_pem(config["ca_pem"])
        except CaPemInvalid as exc:
            raise ValidationError(str(exc)) from None
    return config


def _port(value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"port must be a number from 1 to 65535, not {value!r}") from None
    if not 0 < port < 65536:
        raise ValidationError(f"port must be a number from 1 to 65535, not {value!r}")
    return port


def _host(value: Any) -> str:
    host = str(value).strip()
    if not host or any(c.isspace() or c in "/@?#\\" for c in host):
        raise ValidationError(f"host must be a server name or IP address, not {value!r}")
    return host


def _url(key: str, value: Any) -> str:
    url = str(value).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValidationError(f"{key} must be an http(s) URL such as https://graph.microsoft.com, not {value!r}")
    return url


def _destination(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Where the secret goes, normalised (an omitted port is the default port of the mode)."""
    security = config.get("security", "tls")
    port = config.get("port") or connectors.DEFAULT_PORTS.get((kind, security))
    return {"host": str(config.get("host") or "").lower(), "port": int(port) if port else None, "security": security,
            "username": config.get("username") or "", "endpoint": config.get("endpoint") or "",
            "login_endpoint": config.get("login_endpoint") or "", "tenant_id": config.get("tenant_id") or "",
            "ca_pem": config.get("ca_pem") or "", "tls_verify": config.get("tls_verify") is not False}


def _secret_bound_changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = _destination(kind, before), _destination(kind, after)
    return [label for key, label in SECRET_BOUND.items() if old[key] != new[key]]


def _check_egress(kind: str, config: dict[str, Any], secret: str | None) -> None:
    """Save-time check (fast, friendly); the connect-time check in the connectors is the one that counts."""
    policy = egress_policy()
    targets: list[tuple[str, int]] = []
    if kind in ("imap", "pop3"):
        dest = _destination(kind, config)
        targets.append((dest["host"], dest["port"]))
    urls = [config.get("endpoint"), config.get("login_endpoint")]
    if kind == "gmail" and secret:
        try:
            urls.append(json.loads(secret).get("token_uri"))
        except (ValueError, AttributeError):
            pass
    for url in urls:
        if url:
            parts = urlsplit(str(url))
            if parts.hostname:
                try:
                    port = parts.port or (443 if parts.scheme == "https" else 80)
                except ValueError:
                    raise ValidationError(f"{url!r} has an invalid port") from None
                targets.append((parts.hostname, port))
    for host, port in targets:
        try:
            policy.check_destination(host, port)
        except EgressRefused as exc:
            raise ValidationError(str(exc)) from None
        except (OSError, ValueError):
            continue  # unresolvable now; the connect-time check decides


def add(customer: Customer, kind: str, config: dict[str, Any], secret: str, *, name: str = "",
        interval_minutes: int = 15, actor: Any = None) -> Source:
    config = _validate(kind, config)
    _check_egress(kind, config, secret)
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
    """Edit a source. Changing where the secret goes (host, port, security mode, username,
    endpoints, tenant, CA certificate, TLS verification) needs the secret entered again, so
    nobody who cannot see the secret can send it to a server of their choice."""
    changed: list[str] = []
    new_config = source.config
    if config is not None:
        stored = {k: v for k, v in source.config.items() if k not in LEGACY_KEYS}
        new_config = _validate(source.kind, {**stored, **config})
        changed = _secret_bound_changes(source.kind, stored, new_config)
        if changed and not secret:
            raise ValidationError(f"changing the {' and '.join(changed)} requires the "
                                  f"{SECRET_NAMES[source.kind]} to be entered again")
    if changed or (secret and source.kind == "gmail"):  # a new key file may name its own token_uri
        _check_egress(source.kind, new_config, secret)
    source.config = new_config
    if secret:
        source.secret = seal_secret(secret, source.id)
    if interval_minutes is not None:
        source.interval_minutes = max(1, interval_minutes)
    if paused is not None:
        source.paused = paused
    source.save()
    audit.record("source.update", actor=actor, customer=source.customer, target=source.id,
                 detail={"paused": source.paused, "secret_changed": bool(secret), "destination_changed": changed})
    return source


def remove(source: Source, *, actor: Any = None) -> None:
    """Disconnect a source; archived mail stays in the archive."""
    audit.record("source.remove", actor=actor, customer=source.customer, target=source.id, detail={"kind": source.kind})
    source.delete()


def connector(source: Source):
    return connectors.build(source.kind, source.config, open_secret(source.secret, source.id), egress_policy())


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
