"""Restore archived mail into a live mailbox (IMAP APPEND, Microsoft 365 Graph, Gmail API).

``request(customer, actor, ...)`` checks who may restore what, validates the selection, audits and
queues an ``archive.restore`` job; the job (``run``) walks the selection, streams each message's
original bytes from the vault and hands them to the mailbox writer of the customer's source that
serves the target mailbox (``Kind.build_mailbox_writer``, chosen in ``mailbox_restore_targets``).
A message already in the target folder (same Message-ID, confirmed by the SHA-256 of the bytes
where the target returns them; without a Message-ID: the candidates around its date whose bytes have
the same SHA-256) is skipped. The copy gets the receive time and flags the mailbox had when the message
was archived (``MessageRef.received_at``/``flags``), else the Date header and ``\\Seen``. The report is ``{"restored", "skipped", "failed":
[{"id", "error"}], "skipped_reasons": [{"id", "reason"}]}``.

Who: the selection is what ``accounts.access.visibility`` lets the actor see; auditors may never
restore (no ``archive.restore`` permission); end users only into their own mailboxes and only while
the customer's self-service switch ``restore`` is on. Legal holds do not block a restore (it writes
to the mailbox, never to the archive); a message restricted by a GDPR request is skipped with a reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from kustos.accounts import access
from kustos.accounts.access import Perm, Visibility
from kustos.accounts.models import User
from kustos.archive.models import Message, MessageRef
from kustos.archive.services import export, messages
from kustos.archive.services import mailbox_restore_targets as targets
from kustos.audit import services as audit
from kustos.jobs import services as jobs
from kustos.jobs.models import Job
from kustos.tenants.models import Customer

JOB_KIND = "archive.restore"
ORIGINS = ("dashboard", "api", "cli")
MAX_IDS = 10_000
RESTRICTED = "restricted by a data-protection (GDPR) request; not restored"
FLAGS = ("\\Seen",)  # mail archived before receive times and flags were kept arrives read


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _scope(actor: Any, customer: Customer) -> Visibility:
    user = _user(actor)
    return Visibility() if user is None else access.visibility(user, customer)


def _clean_text(value: str | None, name: str, limit: int = 1000) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters")
    return text


def clean(customer: Customer, actor: Any, *, message_ids: list[str] | None = None, query: str | None = None,
          folder: str | None = None, mailbox: str | None = None, to_mailbox: str | None = None,
          to_folder: str | None = None, source: str | None = None) -> dict[str, Any]:
    """The job parameters, or ValidationError / PermissionDenied / Http404 naming the problem."""
    user = _user(actor)
    if user is not None:
        access.require(user, Perm.ARCHIVE_RESTORE)
        access.require_self_service(user, customer, "restore")
    ids = list(dict.fromkeys(str(i).strip() for i in (message_ids or []) if str(i).strip()))
    if len(ids) > MAX_IDS:
        raise ValidationError(f"at most {MAX_IDS} message ids per restore")
    query = _clean_text(query, "query")
    folder = _clean_text(folder, "folder").strip("/")
    mailbox = _clean_text(mailbox, "mailbox", 320).lower()
    to_mailbox = _clean_text(to_mailbox, "to_mailbox", 320).lower()
    to_folder = _clean_text(to_folder, "to_folder").strip("/")
    source = _clean_text(source, "source", 40)
    if not (ids or query or folder or mailbox):
        raise ValidationError("name what to restore: message ids, a query, a folder or a mailbox")
    if folder and not mailbox and not query and not ids:
        raise ValidationError("a folder needs its mailbox (--mailbox)")
    if any(p in (".", "..") for p in to_folder.split("/")):
        raise ValidationError(f"invalid target folder {to_folder!r}")
    if to_mailbox and "@" not in to_mailbox:
        raise ValidationError(f"target mailbox {to_mailbox!r} is not an e-mail address")
    scope = _scope(actor, customer)
    if scope.allowed_mailboxes is not None:  # limited to some mailboxes (end users: their own)
        if to_mailbox and to_mailbox not in scope.allowed_mailboxes:
            raise PermissionDenied("you may restore only into your own mailbox")
        if mailbox and mailbox not in scope.allowed_mailboxes:
            raise Http404("no such mailbox")
    if ids:
        found = {m.id: m for m in Message.objects.filter(customer=customer, id__in=ids)}
        seen = dataclasses.replace(scope, include_restricted=True)  # restricted ones are reported, not hidden
        missing = [i for i in ids if i not in found or not messages.visible(found[i], seen)]
        if missing:
            raise Http404(f"no such message: {missing[0]}")
    if to_mailbox or mailbox:
        if to_mailbox or source:  # the target source is known now: check it before queueing
            targets.for_mailbox(customer, to_mailbox or mailbox, source)
    elif source:
        targets.named(customer, source)
    return {"message_ids": ids, "query": query, "folder": folder, "mailbox": mailbox, "to_mailbox": to_mailbox,
            "to_folder": to_folder, "source": source, "actor_user": user.id if user is not None else None}


def request(customer: Customer, actor: Any, *, origin: str = "api", here: bool = False, **options: Any) -> Job:
    """Validate, audit and queue the restore; returns the job (its result is the report). ``here``: the
    calling process runs it itself with ``execute_here`` (the CLI, for its progress bar)."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    params = clean(customer, actor, **options)
    params["origin"] = origin
    audit.record("archive.restore", actor=actor, customer=customer,
                 target=(params["message_ids"][0] if len(params["message_ids"]) == 1 else ""),
                 detail={"origin": origin, "message_ids": params["message_ids"][:1000],
                         **{k: params[k] for k in ("query", "folder", "mailbox", "to_mailbox", "to_folder", "source")
                            if params[k]}})
    created_by = getattr(actor, "email", actor) or "system"
    if here:
        return jobs.start(JOB_KIND, customer=customer, params=params, created_by=created_by)
    return jobs.create(JOB_KIND, customer=customer, params=params, created_by=created_by, max_attempts=1)


def execute_here(job: Job, advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run a job started with ``request(here=True)``: progress goes to the job row and ``advance``;
    the outcome is marked on the job (a failure is re-raised)."""
    customer = Customer.objects.get(id=job.customer_id)
    tracker = jobs.Progress(job)
    last = [0]

    def progress(done: int, total: int | None = None, text: str = "") -> None:
        tracker(done, total, text)
        if advance is not None:
            advance(done - last[0])
            last[0] = done

    try:
        result = run(customer, job.params, progress)
    except Exception as exc:
        jobs.mark_failed(job, f"{type(exc).__name__}: {exc}", None)
        raise
    jobs.mark_succeeded(job, result)
    return result


def request_as(user: User, customer_id: str, *, origin: str, **options: Any) -> Job:
    """``request`` for a signed-in user: the customer as they may see it (404 otherwise)."""
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_RESTORE)
    return request(customer, user, origin=origin, **options)


def job_as(user: User, customer_id: str, job_id: str) -> Job:
    """A restore job the user may follow (its report once done)."""
    customer = access.get_customer(user, customer_id, Perm.ARCHIVE_RESTORE)
    return access.restore_job_for(user, customer, job_id)


# --- the job ------------------------------------------------------------------------------------

def _selection(customer: Customer, params: dict[str, Any], scope: Visibility) -> list[str]:
    seen = dataclasses.replace(scope, include_restricted=True)
    if params.get("message_ids"):
        return list(params["message_ids"])
    if params.get("query"):
        return export.matching_ids(customer, params["query"], seen, mailbox=params.get("mailbox") or None)
    refs = MessageRef.objects.filter(message__customer=customer, mailbox__address=params["mailbox"])
    if params.get("folder"):
        refs = refs.filter(folder__path=params["folder"])
    return list(dict.fromkeys(refs.order_by("message__seq").values_list("message_id", flat=True)))


def _origin_ref(message: Message, params: dict[str, Any], scope: Visibility) -> MessageRef | None:
    refs = message.refs.select_related("mailbox", "folder").order_by("id")
    if scope.allowed_mailboxes is not None:
        refs = refs.filter(mailbox__address__in=scope.allowed_mailboxes)
    if params.get("mailbox"):
        refs = refs.filter(mailbox__address=params["mailbox"])
    if params.get("folder"):
        refs = refs.filter(folder__path=params["folder"]) or refs
    return refs.first()


def _facts(message: Message, ref: MessageRef | None) -> tuple[datetime | None, tuple[str, ...]]:
    """The receive time and flags the restored copy gets: the mailbox's own as archived, else (mail
    archived before they were kept, or from a source without them) the Date header / archive time, read."""
    if ref is not None and ref.received_at is not None:
        return ref.received_at, tuple(ref.flags or ())
    if ref is not None and ref.flags:
        return message.date or message.archived_at, tuple(ref.flags)
    return message.date or message.archived_at, FLAGS


def _already_there(writer: Any, mailbox: str, folder: str, message: Message, received: datetime | None) -> bool:
    if message.message_id:
        return bool(writer.exists(mailbox, folder, message.message_id, message.sha256))
    # No Message-ID: the writer narrows by date and compares the SHA-256 of the candidates' bytes.
    return bool(writer.exists(mailbox, folder, "", message.sha256, received=received, sent=message.date))


def run(customer: Customer, params: dict[str, Any], progress: Callable[..., None] | None = None,
        writers: dict[str, Any] | None = None) -> dict[str, Any]:
    """Put the selected messages back; returns the report."""
    user = User.objects.filter(id=params["actor_user"]).first() if params.get("actor_user") else None
    if params.get("actor_user") and user is None:
        raise PermissionDenied("the user who asked for this restore no longer exists")
    scope = _scope(user, customer)
    seen = dataclasses.replace(scope, include_restricted=True)
    ids = _selection(customer, params, scope)
    found = {m.id: m for m in Message.objects.filter(customer=customer, id__in=ids).select_related("customer")}
    report: dict[str, Any] = {"restored": 0, "skipped": 0, "failed": [], "skipped_reasons": []}
    open_writers: dict[str, Any] = dict(writers or {})
    sources: dict[str, Any] = {}
    try:
        for done, mid in enumerate(ids, 1):
            message = found.get(mid)
            try:
                if message is None or not messages.visible(message, seen):
                    raise LookupError("no such message")
                if message.restricted:
                    report["skipped"] += 1
                    report["skipped_reasons"].append({"id": mid, "reason": RESTRICTED})
                    continue
                ref = _origin_ref(message, params, scope)
                mailbox = params.get("to_mailbox") or (ref.mailbox.address if ref else "")
                if not mailbox:
                    raise LookupError("the message is in no mailbox you may see; name a target mailbox")
                folder = params.get("to_folder") or (ref.folder.path if ref else "") or "INBOX"
                if mailbox not in sources:
                    sources[mailbox] = targets.for_mailbox(customer, mailbox, params.get("source") or "")
                source = sources[mailbox]
                if source.id not in open_writers:
                    open_writers[source.id] = targets.writer(source)
                writer = open_writers[source.id]
                raw = messages.raw(message)
                if hashlib.sha256(raw).hexdigest() != message.sha256:
                    raise ValueError("the archived bytes do not match the message's SHA-256; run kustos vault verify")
                received, flags = _facts(message, ref)
                if _already_there(writer, mailbox, folder, message, received):
                    report["skipped"] += 1
                else:
                    writer.append(mailbox, folder, raw, received, flags)
                    report["restored"] += 1
            except (LookupError, ValidationError, PermissionDenied) as exc:
                text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc).strip("'\"")
                report["failed"].append({"id": mid, "error": text[:500]})
            except Exception as exc:  # noqa: BLE001 - one message's failure is reported, the restore goes on
                report["failed"].append({"id": mid, "error": f"{type(exc).__name__}: {exc}"[:500]})
            finally:
                if progress:
                    progress(done, len(ids), f"{done} of {len(ids)} messages")
    finally:
        for w in open_writers.values():
            close = getattr(w, "close", None)
            if callable(close):
                close()
    audit.record("archive.restore.done", actor=user or "system", customer=customer,
                 outcome="ok" if not report["failed"] else "partial",
                 detail={"origin": params.get("origin", ""), "restored": report["restored"],
                         "skipped": report["skipped"], "failed": len(report["failed"]),
                         "to_mailbox": params.get("to_mailbox", ""), "to_folder": params.get("to_folder", ""),
                         "sources": sorted({s.id for s in sources.values()}), "message_ids": ids[:1000]})
    return report
