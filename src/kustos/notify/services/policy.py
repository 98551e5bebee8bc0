"""A partner's notification thresholds: stored volume growth (percent within days) that is a
``storage.growth`` event, and how many days before a trial's end ``trial.ending`` is sent."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from kustos.audit import services as audit
from kustos.notify.models import PartnerNotifySettings
from kustos.tenants.models import Partner

BOUNDS = {"growth_percent": (1, 10000), "growth_days": (1, 31), "trial_notice_days": (1, 13)}


def settings_for(partner_id: str) -> PartnerNotifySettings:
    found = PartnerNotifySettings.objects.filter(partner_id=partner_id).first()
    return found or PartnerNotifySettings(partner_id=partner_id)


def public(s: PartnerNotifySettings) -> dict[str, Any]:
    return {"partner": s.partner_id, "growth_percent": s.growth_percent, "growth_days": s.growth_days,
            "trial_notice_days": s.trial_notice_days}


def update(partner: Partner, *, actor: Any, **values: Any) -> PartnerNotifySettings:
    """Change the given thresholds (None = keep); each must be a whole number within its bounds."""
    current = settings_for(partner.id)
    changed = {}
    for name, value in values.items():
        if name not in BOUNDS:
            raise ValidationError(f"unknown notification setting {name!r}")
        if value is None or value == "":
            continue
        low, high = BOUNDS[name]
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{name} must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise ValidationError(f"{name} must be between {low} and {high}, not {number}")
        setattr(current, name, number)
        changed[name] = number
    current.save()
    audit.record("notify.settings", actor=actor, partner=partner, target=partner.id, detail=changed)
    return current
