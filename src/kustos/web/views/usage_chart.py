"""Usage charts (stored archive volume, protected backup accounts per day) for a customer page and,
summed, for the partner home: the server-rendered bar charts of ``backup_chart.bar_chart`` (inline
SVG without style attributes or script, axis labels, a table for screen readers), rendered by
``kustos/health/_usage_charts.html``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kustos.monitoring import usage
from kustos.tenants.models import Customer
from kustos.web.views.backup_chart import bar_chart


def usage_charts(customers: QuerySet[Customer], key: str, days: int = usage.DEFAULT_DAYS) -> dict[str, Any]:
    series = usage.daily(customers, days)
    volume = bar_chart(f"{key}-volume", _("Stored archive volume"),
                       list(zip(series["days"], series["stored_bytes"], strict=True)), lambda v: str(filesizeformat(v)))
    accounts = bar_chart(f"{key}-accounts", _("Protected backup accounts"),
                         list(zip(series["days"], series["accounts"], strict=True)),
                         lambda v: number_format(v, force_grouping=True))
    return {"key": key, "days": days, "charts": [volume, accounts],
            "description": _("Daily usage samples over the last %(days)s days") % {"days": days}}
