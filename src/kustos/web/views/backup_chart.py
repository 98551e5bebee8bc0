"""Server-rendered bar charts of protected data (template ``kustos/backup/_chart.html``): inline SVG with
presentation attributes and classes only (the CSP allows no script and no style attributes), axis
labels, a title per bar and a table for screen readers. Numbers are formatted here, in the active
language, and coordinates are plain strings (a German locale must not turn 12.5 into "12,5")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from kustos.backup.models import BackupPlan
from kustos.backup.services import history
from kustos.tenants.models import Customer

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 76, 10, 10, 26


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(key: str, title: str, points: list[tuple[date, int]], fmt: Callable[[int], str]) -> dict[str, Any]:
    """Geometry and labels of one chart: a bar per day with a value, y ticks at 0, half and the
    maximum, x labels at the first, middle and last day."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((v for _, v in points), default=0)
    slot = plot_w / max(len(points), 1)
    bars, rows = [], []
    for i, (day, value) in enumerate(points):
        if value <= 0:
            continue
        h = plot_h * value / top
        label = f"{date_format(day, 'SHORT_DATE_FORMAT')}: {fmt(value)}"
        bars.append({"x": _n(LEFT + i * slot + slot * 0.1), "y": _n(TOP + plot_h - h), "w": _n(max(slot * 0.8, 0.5)),
                     "h": _n(h), "label": label})
        rows.append({"day": date_format(day, "SHORT_DATE_FORMAT"), "value": fmt(value)})
    yticks = []
    if top:
        for value in sorted({0, round(top / 2), top}):  # each label at the height of the value it names
            yticks.append({"y": _n(TOP + plot_h * (1 - value / top)), "label": fmt(value)})
    xticks = []
    if points:
        picks = sorted({0, len(points) // 2, len(points) - 1})
        for i in picks:
            anchor = "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")
            x = LEFT if anchor == "start" else (WIDTH - RIGHT if anchor == "end" else LEFT + (i + 0.5) * slot)
            xticks.append({"x": _n(x), "label": date_format(points[i][0], "SHORT_DATE_FORMAT"), "anchor": anchor})
    return {"key": key, "title": title, "width": WIDTH, "height": HEIGHT, "bars": bars, "rows": rows,
            "yticks": yticks, "xticks": xticks, "max_label": fmt(top) if top else "",
            "axis": {"x1": LEFT, "x2": WIDTH - RIGHT, "y": TOP + plot_h}, "label_x": LEFT - 6}


def _items(n: int) -> str:
    return number_format(n, force_grouping=True)


def protected_charts(customer: Customer, raw_days: Any, plan: BackupPlan | None = None) -> dict[str, Any]:
    """Both charts (protected size, items) for the range asked for (30 days when the value is not one
    of ``history.RANGES``)."""
    try:
        days = history.clean_days(raw_days)
    except ValidationError:
        days = history.DEFAULT_DAYS
    series = history.protected(customer, days, plan=plan)
    desc = _("Protected data per day over the last %(days)s days") % {"days": days}
    size = bar_chart("bytes", _("Protected size"), [(d["day"], d["bytes"]) for d in series],
                     lambda v: str(filesizeformat(v)))
    items = bar_chart("items", _("Items"), [(d["day"], d["items"]) for d in series], _items)
    return {"days": days, "ranges": history.RANGES, "description": desc, "charts": [size, items]}
