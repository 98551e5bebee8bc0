"""Which archived references of a source are old enough for the rule, read in batches by id
(keyset paging: constant memory for any number of references)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import Q

from kustos.archive.models import MessageRef, Source
from kustos.archive.services.mailbox_cleanup.rule import Rule

BATCH = 500


def _selection(source: Source, rule: Rule, now: datetime) -> Q:
    cutoff = now - timedelta(days=rule.older_than_days)
    where = Q(source=f"{source.kind}:{source.id}", cleanup_mark__isnull=True)  # not removed by an earlier run
    if rule.by_archive_time:
        where &= Q(added_at__lte=cutoff)
    else:  # the mailbox's receive time; without one, the message's own date
        where &= Q(received_at__lte=cutoff) | Q(received_at__isnull=True, message__date__lte=cutoff)
    if rule.folders:
        chosen = Q(folder__path__in=rule.folders)
        for folder in rule.folders:  # or the scope (raw server folder) the item came from
            chosen |= Q(source_ref__startswith=f"{folder}#")
        where &= chosen
    return where


def batches(source: Source, rule: Rule, now: datetime, size: int = BATCH) -> Iterator[list[MessageRef]]:
    """The candidate references, ``size`` at a time, in id order."""
    query = MessageRef.objects.filter(_selection(source, rule, now)).select_related("message", "folder")
    last = 0
    while True:
        page = list(query.filter(id__gt=last).order_by("id")[:size])
        if not page:
            return
        yield page
        last = page[-1].id
