"""A synthetic billing year (2025) written directly as rows, and the expected CSV rows computed
INDEPENDENTLY of the statement service: a plain day-by-day loop over each month, integer
arithmetic for quantities and amounts, and in-memory lists of samples and prices."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kustos.billing.models import Price, ServiceActivation, UsageSample
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
YEAR = 2025
HEADER = ["customer_id", "customer_name", "legal_name", "service", "unit", "quantity", "unit_price", "amount",
          "trial_days", "activated", "ended"]
# (service, unit, valid_from, price in 1/10000 EUR); a mid-year change for both services
PRICES = [
    ("archive", "GB", date(2024, 1, 1), 1000),      # 0.10
    ("archive", "GB", date(2025, 7, 15), 1200),     # 0.12 (valid from August's statement on)
    ("archive", "GB", date(2025, 10, 1), 875),      # 0.0875
    ("backup", "account", date(2024, 1, 1), 15000),  # 1.50
    ("backup", "account", date(2025, 5, 1), 17500),  # 1.75
]


def berlin(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


@dataclass
class Act:
    partner: str  # key into World.partners
    customer_id: str
    name: str
    legal: str
    service: str
    activated: datetime | None = None
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    then: str = ""
    ended: datetime | None = None


ACTS = [
    # running since before the year
    Act("alpha", "cu_anton", "Anton GmbH", "Anton Handels GmbH", "archive", activated=berlin(2024, 11, 3, 9),
        ended=berlin(2025, 4, 10, 16)),
    # ... switched off in April and on again in June: a second row; May is not billed
    Act("alpha", "cu_anton", "Anton GmbH", "Anton Handels GmbH", "archive", activated=berlin(2025, 6, 5, 9)),
    # trial 20 Jan – 3 Feb, then paid: January trial only (12 days, amount 0), February billed whole
    Act("alpha", "cu_anton", "Anton GmbH", "Anton Handels GmbH", "backup", trial_start=berlin(2025, 1, 20, 10),
        trial_end=berlin(2025, 2, 3, 10), then="paid", activated=berlin(2025, 2, 3, 10)),
    # trial 25 Mar – 8 Apr that ends: never billed
    Act("alpha", "cu_berta", "Berta AG", "", "archive", trial_start=berlin(2025, 3, 25, 15),
        trial_end=berlin(2025, 4, 8, 15), then="end", ended=berlin(2025, 4, 8, 15)),
    # activated mid-month, cancelled (customer deleted) mid-September
    Act("alpha", "cu_caesar", "Cäsar KG", "Cäsar Kommanditgesellschaft, Köln", "archive",
        activated=berlin(2025, 5, 17, 14), ended=berlin(2025, 9, 12, 11)),
    # activated late on 30 June (Berlin; still 30 June, 21:30 UTC): June billed whole
    Act("beta", "cu_dora", "Dora e.K.", "Dora Müller e.K.", "backup", activated=berlin(2025, 6, 30, 23, 30)),
    # activated on New Year's Eve without a sample in December: the last earlier sample counts
    Act("beta", "cu_dora", "Dora e.K.", "Dora Müller e.K.", "archive", activated=berlin(2025, 12, 31, 23, 59)),
    # trial converting to paid in August, deleted on 1 November 00:30 Berlin (31 Oct 23:30 UTC)
    Act("beta", "cu_emil", "Emil, Sohn & Co", "Emil \"Sohn\" & Co OHG", "archive", trial_start=berlin(2025, 8, 10, 8),
        trial_end=berlin(2025, 8, 24, 8), then="paid", activated=berlin(2025, 8, 24, 8), ended=berlin(2025, 11, 1, 0, 30)),
    # activated at midnight 1 Feb Berlin (31 Jan 23:00 UTC), ended 31 Oct 23:30 Berlin (22:30 UTC)
    Act("beta", "cu_fritz", "Fritz Bau", "", "backup", activated=berlin(2025, 2, 1, 0, 0), ended=berlin(2025, 10, 31, 23, 30)),
]


def _samples() -> list[tuple[str, str, date, int]]:
    """(customer_id, service, day, value): random days, random values; some months without samples."""
    rnd = random.Random(20251)
    out = []
    for cid, service in sorted({(a.customer_id, a.service) for a in ACTS}):
        day = date(2024, 10, 1)
        while day <= date(2026, 1, 31):
            if rnd.random() < 0.4 and not (cid == "cu_dora" and service == "archive" and day >= date(2025, 11, 1)):
                value = rnd.randrange(1, 80 * 10**9) if service == "archive" else rnd.randrange(1, 250)
                if service == "archive" and rnd.random() < 0.1:
                    value = rnd.randrange(1, 80) * 10**7  # exactly on a hundredth of a GB
                out.append((cid, service, day, value))
            day += timedelta(days=1)
    # Anton's archive has no sample in March at all: the last February sample counts
    return [s for s in out if not (s[0] == "cu_anton" and s[1] == "archive" and s[2].year == 2025 and s[2].month == 3)]


SAMPLES = _samples()


class World:
    def __init__(self) -> None:
        self.partners = {"alpha": factories.partner("Alpha Systemhaus"), "beta": factories.partner("Beta IT")}
        for service, unit, valid_from, price in PRICES:
            Price.objects.create(service=service, unit=unit, valid_from=valid_from, price=f"{price / 10000:.4f}")
        for a in ACTS:
            ServiceActivation.objects.create(
                partner=self.partners[a.partner], customer_id=a.customer_id, customer_name=a.name, legal_name=a.legal,
                service=a.service, activated_at=a.activated, trial_started_at=a.trial_start, trial_ends_at=a.trial_end,
                trial_then=a.then, ended_at=a.ended)
        partner_of = {a.customer_id: a.partner for a in ACTS}
        UsageSample.objects.bulk_create([
            UsageSample(partner=self.partners[partner_of[cid]], customer_id=cid, service=service, day=day,
                        taken_at=berlin(day.year, day.month, day.day, 12),
                        stored_bytes=value if service == "archive" else 0,
                        accounts=value if service == "backup" else 0)
            for cid, service, day, value in SAMPLES])


# --- the independent computation ------------------------------------------------------------

def _berlin_day(dt: datetime | None) -> date | None:
    return None if dt is None else dt.astimezone(BERLIN).date()


def _days(year: int, month: int) -> list[date]:
    d, out = date(year, month, 1), []
    while d.month == month:
        out.append(d)
        d += timedelta(days=1)
    return out


def _paid_on(a: Act, d: date) -> bool:
    act, end = _berlin_day(a.activated), _berlin_day(a.ended)
    return act is not None and act <= d and (end is None or d <= end)


def _trial_on(a: Act, d: date) -> bool:
    if a.trial_start is None:
        return False
    if not (_berlin_day(a.trial_start) <= d < _berlin_day(a.trial_end)):
        return False
    if a.ended is not None and d > _berlin_day(a.ended):
        return False
    return a.activated is None or d < _berlin_day(a.activated)


def _money(units: int) -> str:  # units of 1/100
    return f"{units // 100}.{units % 100:02d}"


def _price_text(p: int) -> str:  # p in 1/10000 EUR
    text = f"{p // 10000}.{p % 10000:04d}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


def expected_rows(year: int, month: int, partner: str | None) -> list[list[str]]:
    """Per customer and service (all its activation rows together), day by day."""
    days = _days(year, month)
    first, last = days[0], days[-1]
    rows = []
    for key in sorted({(a.customer_id, a.service) for a in ACTS}):
        acts = [a for a in ACTS if (a.customer_id, a.service) == key]
        if partner is not None and acts[0].partner != partner:
            continue
        billed = any(_paid_on(a, d) for a in acts for d in days)
        trial_days = sum(1 for d in days if any(_trial_on(a, d) for a in acts))
        if not billed and not trial_days:
            continue
        relevant = [a for a in acts if any(_paid_on(a, d) for d in days)] or \
            [a for a in acts if any(_trial_on(a, d) for d in days)]
        a = relevant[-1]
        values = [v for cid, s, d, v in SAMPLES if cid == a.customer_id and s == a.service and first <= d <= last]
        if not values:
            earlier = sorted((d, v) for cid, s, d, v in SAMPLES if cid == a.customer_id and s == a.service and d < first)
            values = [earlier[-1][1]] if earlier else [0]
        peak = max(values)
        if a.service == "archive":
            hundredths = -(-peak * 100 // 10**9)  # GB rounded up to 2 decimals
            quantity, unit = _money(hundredths), "GB"
        else:
            quantity, unit = str(peak), "account"
        price = 0
        if billed:
            valid = [(vf, p) for s, u, vf, p in PRICES if s == a.service and vf <= first]
            price = max(valid)[1]
        if a.service == "archive":
            cents = (hundredths * price + 5000) // 10000  # 1/100 GB × 1/10000 EUR → cents, half up
        else:
            cents = (peak * price + 50) // 100
        starts = [_berlin_day(r.activated) for r in relevant if r.activated and _berlin_day(r.activated) <= last]
        act = min(starts) if starts else None
        ends = [_berlin_day(r.ended) for r in relevant]
        end = max(ends) if all(e is not None and e <= last for e in ends) else None
        rows.append((
            "Alpha Systemhaus" if a.partner == "alpha" else "Beta IT", a.name, a.customer_id, a.service,
            [a.customer_id, a.name, a.legal, a.service, unit, quantity, _price_text(price) if billed else "0.00",
             _money(cents), str(trial_days), act.isoformat() if act else "", end.isoformat() if end else ""]))
    rows.sort(key=lambda r: r[:4])
    return [r[4] for r in rows]


def parse(text: str) -> tuple[list[str], list[list[str]]]:
    table = list(csv.reader(io.StringIO(text)))
    return table[0], table[1:]
