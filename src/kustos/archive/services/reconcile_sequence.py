"""Gaps in a customer's ingest sequence (``Message.seq``, assigned gap-free by ``IngestCounter``).

Every number from 1 to the highest one handed out must belong to a Message row; a missing
number is a message that was recorded and then lost (or deleted behind the archive's back).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Max
from django.db.models.expressions import Window
from django.db.models.functions import Lag

from kustos.archive.models import IngestCounter, Message
from kustos.tenants.models import Customer


@dataclass(frozen=True)
class SequenceReport:
    highest: int  # the highest number handed out (counter) or present, whichever is larger
    present: int  # Message rows of the customer
    gaps: list[tuple[int, int]]  # missing numbers as inclusive ranges, ascending

    @property
    def missing(self) -> int:
        return sum(last - first + 1 for first, last in self.gaps)

    def as_dict(self) -> dict:
        return {"highest": self.highest, "present": self.present, "missing": self.missing,
                "gaps": [{"first": a, "last": b} for a, b in self.gaps],
                "verdict": "gap" if self.gaps else "ok"}


def sequence(customer: Customer) -> SequenceReport:
    """The customer's sequence 1..highest with every missing range (one window query)."""
    rows = Message.objects.filter(customer=customer)
    stats = rows.aggregate(highest=Max("seq"))
    present = rows.count()
    counter = IngestCounter.objects.filter(customer=customer).values_list("last_seq", flat=True).first() or 0
    highest = max(int(stats["highest"] or 0), int(counter))
    steps = (rows.annotate(prev=Window(Lag("seq", default=0), order_by=F("seq").asc()))
             .annotate(step=F("seq") - F("prev")).filter(step__gt=1).order_by("seq").values_list("prev", "seq"))
    gaps = [(int(prev) + 1, int(seq) - 1) for prev, seq in steps]
    top = int(stats["highest"] or 0)
    if highest > top:  # numbers handed out after the last row that still exists
        gaps.append((top + 1, highest))
    return SequenceReport(highest=highest, present=present, gaps=gaps)
