"""Sources: add, edit, test, pause, remove, run (as jobs, on schedule and on demand).

What a kind accepts and how it connects is declared in ``kustos.sources.kinds`` (the registry);
this module applies it: settings validation, the secret-bound rule, the save-time egress check,
sealing the secret, and the run (``sources.runloop.drive`` into the archive sink), which commits a
scope's cursor only after its batch is durably archived, so a crash re-fetches at most one batch
(deduplication makes that harmless).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kustos.archive.models import Source
from kustos.archive.services import alerts, alerts_ingest, mailbox_cleanup
from kustos.archive.services.ingest import Ingestor
from kustos.archive.services.source_run import IngestSink, SourceCursors, source_ref
from kustos.audit import ingest as audit_ingest
from kustos.audit import services as audit
from kustos.core.egress import egress_policy
from kustos.core.secrets import open_secret, seal_secret
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.sources import runloop
from kustos.sources.base import Connector, ConnectorError, Scope
from kustos.sources.egress import EgressRefused
from kustos.sources.imap.bulk import MailboxCsvError, parse_mailbox_csv
from kustos.sources.kinds import registry
from kustos.sources.kinds import settings as kind_settings
from kustos.sources.kinds.fields import Kind, KindError
from kustos.tenants.models import Customer

__all__ = ["MailboxCsvError", "add", "add_bulk", "connector", "due", "kind_of", "public", "remove", "run", "run_now",
           "scopes", "source_ref", "status", "test", "update"]

SERVICES = ("archive", "backup")


def kind_of(name: str) -> Kind:
    """The registered kind; ValidationError naming the known kinds otherwise."""
    try:
        return registry.get(name)
    except KeyError as exc:
        raise ValidationError(exc.args[0]) from None


def _validate(kind: Kind, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return kind_settings.clean(kind, config)
    except KindError as exc:
        raise ValidationError(str(exc)) from None


def _secret(kind: Kind, secret: str) -> str:
    try:
        return kind.check_secret(secret)
    except KindError as exc:
        raise ValidationError(str(exc)) from None


def _check_egress(kind: Kind, config: dict[str, Any], secret: str | None) -> None:
    """Save-time check (fast, friendly); the connect-time check in the connectors is the one that counts."""
    policy = egress_policy()
    try:
        targets = kind_settings.destinations(kind, config, secret)
    except KindError as exc:
        raise ValidationError(str(exc)) from None
    for host, port in targets:
        try:
            policy.check_destination(host, port)
        except EgressRefused as exc:
            raise ValidationError(str(exc)) from None
        except (OSError, ValueError):
            continue  # unresolvable now; the connect-time check decides


def add(customer: Customer, kind: str, config: dict[str, Any], secret: str, *, name: str = "",
        interval_minutes: int = 15, actor: Any = None) -> Source:
    spec = kind_of(kind)
    config = spec.on_add(_validate(spec, config))
    _check_egress(spec, config, secret)
    secret = _secret(spec, secret) if secret else secret
    # A backup-only kind (Dropbox, Box, Salesforce) is never archived: it serves backup once a plan exists.
    source = Source(customer=customer, kind=kind, config=config, interval_minutes=max(1, interval_minutes),
                    services=["archive"] if "archive" in spec.services else [],
                    name=name or spec.display_name(config) or kind)
    source.secret = seal_secret(secret, source.id)
    source.save(force_insert=True)
    audit.record("source.add", actor=actor, customer=customer, target=source.id, detail={"kind": kind})
    return source


def add_bulk(customer: Customer, text: str, *, actor: Any = None) -> list[Source]:
    """Many mailboxes from one CSV (``sources.imap.bulk``); nothing is added unless every line is valid.
    Raises MailboxCsvError (per-line problems) or ValidationError."""
    entries = parse_mailbox_csv(text)
    if not entries:
        raise MailboxCsvError([(0, _("the file contains no mailboxes"))])
    with transaction.atomic():
        return [add(customer, entry.pop("kind"), entry, entry.pop("password"), actor=actor) for entry in entries]


def update(source: Source, config: dict[str, Any] | None = None, secret: str | None = None, *,
           interval_minutes: int | None = None, paused: bool | None = None, actor: Any = None) -> Source:
    """Edit a source. Changing a setting its kind marks secret-bound (where the secret goes: host,
    port, security mode, username, endpoints, tenant, CA certificate, TLS verification) needs the
    secret entered again, so nobody who cannot see the secret can send it to a server of their choice."""
    spec = kind_of(source.kind)
    changed: list[str] = []
    new_config = source.config
    if config is not None:
        stored = {k: v for k, v in source.config.items() if k not in spec.legacy}
        new_config = _validate(spec, {**stored, **config})
        changed = kind_settings.bound_changes(spec, stored, new_config)
        if changed and not secret:
            raise ValidationError(f"changing the {' and '.join(changed)} requires the "
                                  f"{spec.secret_field.noun or spec.secret_field.name} to be entered again")
    if changed or (secret and spec.secret_has_destinations):  # a new key file may name its own token_uri
        _check_egress(spec, new_config, secret)
    if secret:
        secret = _secret(spec, secret)
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


def connector(source: Source) -> Connector:
    return kind_of(source.kind).build(source.config, open_secret(source.secret, source.id), egress_policy())


def test(source: Source) -> dict[str, Any]:
    try:
        kind_of(source.kind).test(connector(source))
    except ConnectorError as exc:
        return {"ok": False, "error": str(exc)}
    except (OSError, ValueError, KeyError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "error": None}


def scopes(source: Source) -> dict[str, Any]:
    """What the connection can fetch (mailboxes, users, later drives, sites, teams), as the kind
    discovers them; a failure is reported like ``test`` (clear text, no secret)."""
    try:
        found = kind_of(source.kind).discover(connector(source))
    except ConnectorError as exc:
        return {"ok": False, "error": str(exc), "scopes": []}
    except (OSError, ValueError, KeyError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "scopes": []}
    return {"ok": True, "error": None,
            "scopes": [{"id": s.id, "kind": s.kind, "name": s.name} for s in found]}


def run(source: Source, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Fetch everything new from the source into the archive; returns counts."""
    spec = kind_of(source.kind)
    source.last_run_at = timezone.now()
    errors: list[str] = []

    def report(fetched: int, scope: Scope) -> None:
        if progress:
            progress(fetched, None, f"{scope.name or scope.id}: {fetched} fetched")

    ingestor = Ingestor(source.customer, workers=1)
    try:
        conn = connector(source)
        with ingestor.session():
            sink = IngestSink(source, spec, ingestor)
            counts = runloop.drive(conn, SourceCursors(source), sink, progress=report)
    except (ConnectorError, OSError) as exc:
        _failed(source, str(exc))
        done = ingestor.result
        audit_ingest.record_batch(source.customer, source=source.kind, endpoint=source.id, outcome="failed",
                                  count=done.imported + done.duplicates + done.excluded, result=done)
        raise
    _succeeded(source, sink.imported)
    audit_ingest.record_batch(source.customer, source=source.kind, endpoint=source.id, count=counts.fetched,
                              result=ingestor.result)
    alerts_ingest.batch_lag(source.customer, source=source.kind, endpoint=source.id,
                            message_ids=ingestor.result.message_ids, backlog=source.last_success_at is None)
    result = {"id": source.id, "fetched": counts.fetched, "imported": sink.imported, "errors": errors}
    if spec.build_mailbox_cleaner is not None and mailbox_cleanup.stored(source.config) is not None:
        try:  # the mail is archived either way: a server refusing the cleanup does not fail the run
            result["deleted_on_server"] = mailbox_cleanup.run(source, actor="system", seal_first=True)["deleted"]
        except (ConnectorError, OSError) as exc:
            result["deleted_on_server"] = 0
            errors.append(f"mailbox cleanup: {exc}")
    return result


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
    """Active sources whose interval has elapsed and that have no queued or running job.

    Only due rows are read: ``last_run_at <= now - interval`` per distinct interval, so a tick costs
    a few queries whatever the number of sources (``source_schedule.enqueue_due`` starts them)."""
    now = now or timezone.now()
    # archive runs only (a backup-only source never runs here and keeps last_run_at empty): filtered in
    # SQL on the JSON text, so such sources are not read every tick; the exact check stays below
    active = Source.objects.filter(paused=False, services__icontains='"archive"')
    intervals = sorted(set(active.order_by().values_list("interval_minutes", flat=True).distinct()))
    conditions = [Q(last_run_at__isnull=True)] + [
        Q(interval_minutes=minutes, last_run_at__lte=now - timedelta(minutes=minutes)) for minutes in intervals]
    busy = set(Job.objects.filter(kind="source.run", state__in=["queued", "running", "retrying"])
               .values_list("params__source", flat=True))
    result = []
    for start in range(0, len(conditions), _DUE_TERMS):  # bounded OR terms per query (SQLite's depth limit)
        either = Q()
        for condition in conditions[start:start + _DUE_TERMS]:
            either |= condition
        for source in active.filter(either).select_related("customer").defer("cursors"):
            if source.id in busy or "archive" not in (source.services or []):
                continue  # archive runs only: a backup plan's runs are scheduled by the backup engine
            result.append(source)
    result.sort(key=lambda s: (s.customer_id, s.name))
    return result


_DUE_TERMS = 200


def services(source: Source) -> dict[str, bool]:
    """The services this source's kind offers, each with whether it is enabled for this source
    (read-only for now: archive is enabled, backup comes with the backup engine)."""
    offered = kind_of(source.kind).services if source.kind in registry.KINDS else ("archive",)
    return {name: name in (source.services or []) for name in SERVICES if name in offered}


def public(source: Source) -> dict[str, Any]:
    """What API/CLI/dashboard show: never the secret."""
    spec = registry.KINDS.get(source.kind)
    return {
        "id": source.id, "kind": source.kind, "kind_label": spec.label if spec else source.kind,
        "customer": source.customer_id, "name": source.name,
        "config": source.config, "summary": spec.summary(source.config) if spec else "",
        "services": services(source), "paused": source.paused, "interval_minutes": source.interval_minutes,
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


def settings_from_file(kind: Kind, data: Any) -> tuple[dict[str, Any], str]:
    """A settings document (the kind's declared fields as JSON) split into config and secret.
    The secret is the kind's secret field; a JSON document secret may be given as an object."""
    if not isinstance(data, dict):
        raise ValidationError("the settings file must hold a JSON object of the kind's fields")
    config = dict(data)
    secret = config.pop(kind.secret_field.name, "")
    if isinstance(secret, dict):
        secret = json.dumps(secret)
    if not isinstance(secret, str):
        raise ValidationError(f"{kind.secret_field.name} must be a string")
    if not secret and kind.secret_field.required:
        raise ValidationError(f"the settings file lacks {kind.secret_field.name}")
    return config, secret
