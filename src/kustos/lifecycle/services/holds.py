"""Legal holds (requirement 12): a case of a customer holds the messages an archive search
matches (optionally only in some mailboxes).

Creating a hold records every matching message as a ``HoldItem`` at once; messages archived
later that match an active hold are added by ``refresh_holds`` (called after every ingest
session). Several holds can apply to one message; any active hold blocks its deletion
(``proposals.held_ids`` is what deletion asks). Releasing a hold records who and when and keeps
the hold and its items for the record. Every change is audit-logged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from kustos.archive.models import Message
from kustos.audit import services as audit
from kustos.lifecycle.models import HoldItem, LegalCase, LegalHold
from kustos.lifecycle.services.holds_select import chunks, clean_mailboxes, is_everything, matching_ids
from kustos.search import SearchError
from kustos.search.document import index_date
from kustos.search.limits import MAX_QUERY_LENGTH
from kustos.tenants.models import Customer

MAX_CASE_NAME = 200
#: Held messages a case page lists (the count is always complete).
SHOWN_ITEMS = 500


def actor_name(actor: Any) -> str:
    return str(getattr(actor, "email", None) or actor or "")[:254]


def create(customer: Customer, case_name: str, query: str, *, mailboxes: list[str] | None = None,
           actor: Any, description: str = "") -> LegalHold:
    """Open (or reuse) the case ``case_name`` and put every message matching ``query`` on hold."""
    name = (case_name or "").strip()
    if not name:
        raise ValidationError("the case name is empty")
    if len(name) > MAX_CASE_NAME:
        raise ValidationError(f"the case name is too long (at most {MAX_CASE_NAME} characters)")
    query = (query or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(f"the query is too long (at most {MAX_QUERY_LENGTH} characters)")
    boxes = clean_mailboxes(mailboxes)
    ids = matching_ids(customer.id, query, boxes)
    who = actor_name(actor)
    with transaction.atomic():
        case, opened = LegalCase.objects.get_or_create(customer=customer, name=name,
                                                       defaults={"created_by": who, "description": description})
        hold = LegalHold.objects.create(case=case, query=query, mailboxes=boxes, created_by=who, messages=len(ids))
        HoldItem.objects.bulk_create([HoldItem(hold=hold, message_id=mid) for mid in ids], batch_size=1000)
    if opened:
        audit.record("hold.case_open", actor=actor, customer=customer, target=case.id, detail={"case": name})
    audit.record("hold.create", actor=actor, customer=customer, target=hold.id,
                 detail={"case": name, "case_id": case.id, "query": query[:500], "mailboxes": boxes,
                         "messages": len(ids)})
    return hold


def release(hold: LegalHold, *, actor: Any) -> LegalHold:
    """End the hold (kept with its items; released_at/by record who ended it)."""
    if hold.released_at is not None:
        raise ValidationError(f"hold {hold.id} was already released on {hold.released_at:%Y-%m-%d %H:%M} UTC "
                              f"by {hold.released_by}")
    hold.released_at, hold.released_by = timezone.now(), actor_name(actor)
    LegalHold.objects.filter(id=hold.id).update(released_at=hold.released_at, released_by=hold.released_by)
    audit.record("hold.release", actor=actor, customer=hold.case.customer_id, target=hold.id,
                 detail={"case": hold.case.name, "case_id": hold.case_id, "messages": hold.messages})
    return hold


def get(hold_id: str, customer: Customer | None = None) -> LegalHold:
    """The hold (of ``customer`` when given); else 404."""
    qs = LegalHold.objects.select_related("case", "case__customer")
    if customer is not None:
        qs = qs.filter(case__customer=customer)
    hold = qs.filter(id=(hold_id or "").strip()).first()
    if hold is None:
        raise Http404(f"no such hold: {hold_id}")
    return hold


def get_case(customer: Customer, case_id: str) -> LegalCase:
    case = LegalCase.objects.filter(customer=customer, id=(case_id or "").strip()).first()
    if case is None:
        raise Http404(f"no such case: {case_id}")
    return case


def hold_dict(hold: LegalHold) -> dict[str, Any]:
    return {"id": hold.id, "case": hold.case.name, "case_id": hold.case_id, "query": hold.query,
            "mailboxes": list(hold.mailboxes or []), "messages": hold.messages, "active": hold.active,
            "created_at": hold.created_at.isoformat(), "created_by": hold.created_by,
            "released_at": hold.released_at.isoformat() if hold.released_at else None,
            "released_by": hold.released_by}


def cases(customer: Customer) -> list[dict[str, Any]]:
    """The customer's cases, newest first, each with its holds and the messages held now."""
    out = []
    for case in LegalCase.objects.filter(customer=customer).prefetch_related("holds"):
        holds = [hold_dict(h) for h in case.holds.all()]
        held = HoldItem.objects.filter(hold__case=case, hold__released_at__isnull=True) \
            .values("message_id").distinct().count()
        out.append({"id": case.id, "name": case.name, "description": case.description,
                    "created_at": case.created_at.isoformat(), "created_by": case.created_by,
                    "active": any(h["active"] for h in holds), "held_messages": held, "holds": holds})
    return out


def case_detail(customer: Customer, case_id: str, *, limit: int = SHOWN_ITEMS) -> dict[str, Any]:
    """One case: its holds and the messages they hold (at most ``limit`` listed, newest first)."""
    case = get_case(customer, case_id)
    items = HoldItem.objects.filter(hold__case=case)
    shown = list(Message.objects.filter(customer=customer, id__in=items.values("message_id"))
                 .order_by("-date").values("id", "date", "from_addr", "subject", "sha256")[:limit])
    per_message: dict[str, list[str]] = defaultdict(list)
    for mid, hid in items.filter(message_id__in=[m["id"] for m in shown]).values_list("message_id", "hold_id"):
        per_message[mid].append(hid)
    rows = [{"id": m["id"], "date": m["date"].isoformat() if m["date"] else None, "from": m["from_addr"],
             "subject": m["subject"], "sha256": m["sha256"], "holds": sorted(per_message[m["id"]])} for m in shown]
    return {"id": case.id, "name": case.name, "description": case.description,
            "created_at": case.created_at.isoformat(), "created_by": case.created_by,
            "holds": [hold_dict(h) for h in case.holds.all()],
            "messages": items.values("message_id").distinct().count(), "items": rows}


def holds_on(customer: Customer, ids: list[str]) -> dict[str, list[LegalHold]]:
    """For each of ``ids`` on at least one ACTIVE hold: those holds (with their case)."""
    out: dict[str, list[LegalHold]] = defaultdict(list)
    for chunk in chunks(ids):
        items = HoldItem.objects.filter(hold__case__customer=customer, hold__released_at__isnull=True,
                                        message_id__in=chunk).select_related("hold", "hold__case")
        for item in items:
            out[item.message_id].append(item.hold)
    return dict(out)


def refresh_holds(customer: Customer, new_ids: list[str] | None = None, *, actor: Any = "system") -> int:
    """Add to every active hold the messages that match it and are not held by it yet.

    ``new_ids`` limits the check to those messages (just archived); None checks everything.
    Returns how many hold items were added. A hold whose search fails (index busy) is skipped
    with a failed ``hold.refresh`` audit event (``kustos hold refresh`` catches up): the mail that was just archived is durable and its ingest must not fail.
    """
    active = list(LegalHold.objects.filter(case__customer=customer, released_at__isnull=True)
                  .select_related("case"))
    if not active or new_ids == []:
        return 0
    added = 0
    wanted = None if new_ids is None else set(new_ids)
    window = None if wanted is None else _date_window(customer, wanted)
    if wanted is not None and window is None:
        return 0  # none of them is (still) archived
    for hold in active:
        boxes = list(hold.mailboxes or [])
        if wanted is not None and is_everything(hold.query):
            ids = set(_everything_among(customer, wanted, boxes))  # cheap: no search needed
        else:
            try:
                ids = set(matching_ids(customer.id, hold.query, boxes, window=window))
            except (ValidationError, SearchError) as exc:  # the archived mail is durable already; say so
                audit.record("hold.refresh", actor=actor, customer=customer, target=hold.id, outcome="failed",
                             detail={"case": hold.case.name, "error": str(exc)[:300]})
                continue
        if wanted is not None:
            ids &= wanted
        ids -= set(HoldItem.objects.filter(hold=hold).values_list("message_id", flat=True))
        if not ids:
            continue
        with transaction.atomic():
            HoldItem.objects.bulk_create([HoldItem(hold=hold, message_id=mid) for mid in sorted(ids)],
                                         batch_size=1000, ignore_conflicts=True)
            count = HoldItem.objects.filter(hold=hold).count()
            LegalHold.objects.filter(id=hold.id).update(messages=count)
        added += len(ids)
        audit.record("hold.refresh", actor=actor, customer=customer, target=hold.id,
                     detail={"case": hold.case.name, "added": len(ids), "messages": count})
    return added


def refresh_holds_for_seqs(customer: Customer, first: int, last: int, *, chunk: int = 5000) -> int:
    """:func:`refresh_holds` for the messages numbered ``first``..``last`` (a long ingest run keeps
    only its sequence range), ``chunk`` messages at a time so memory stays bounded."""
    if not LegalHold.objects.filter(case__customer=customer, released_at__isnull=True).exists():
        return 0
    added = 0
    for start in range(first, last + 1, chunk):
        ids = list(Message.objects.filter(customer=customer, seq__gte=start, seq__lte=min(last, start + chunk - 1))
                   .values_list("id", flat=True))
        added += refresh_holds(customer, ids)
    return added


def _date_window(customer: Customer, ids: set[str]) -> tuple[datetime, datetime] | None:
    """The dates the index files these messages under, as a search window (None: no such message)."""
    dates = [index_date(d or a) for chunk in chunks(ids)
             for d, a in Message.objects.filter(customer=customer, id__in=chunk).values_list("date", "archived_at")]
    return (min(dates), max(dates) + timedelta(seconds=1)) if dates else None


def _everything_among(customer: Customer, ids: set[str], boxes: list[str]) -> list[str]:
    found: list[str] = []
    for chunk in chunks(ids):
        qs = Message.objects.filter(customer=customer, id__in=chunk)
        if boxes:
            qs = qs.filter(refs__mailbox__address__in=boxes)
        found += qs.values_list("id", flat=True).distinct()
    return found
