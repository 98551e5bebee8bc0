"""The cleanup rule of a source: its stored settings, or the values one run is given instead.

``cleanup_older_than_days`` (0 or empty: off), ``cleanup_folders`` (empty: all) and ``cleanup_action``
(delete | trash) are declared once for every kind with a cleaner (``kinds.fields.CLEANUP_FIELDS``).
IMAP's older ``delete_after_days`` maps to the same rule, with its own age: N days after archiving
(not after the mailbox received the message), as it always meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

MAX_DAYS = 36500


@dataclass(frozen=True)
class Rule:
    older_than_days: int
    folders: tuple[str, ...] = ()
    to_trash: bool = False
    by_archive_time: bool = False  # the legacy delete_after_days: age counted from archiving


def _days(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def stored(config: dict[str, Any]) -> Rule | None:
    """The source's own rule; None when it is off."""
    folders = tuple(str(f) for f in (config.get("cleanup_folders") or []) if str(f).strip())
    to_trash = config.get("cleanup_action") == "trash"
    days = _days(config.get("cleanup_older_than_days"))
    if days > 0:
        return Rule(days, folders, to_trash)
    legacy = _days(config.get("delete_after_days"))
    if legacy > 0:
        return Rule(legacy, folders, to_trash, by_archive_time=True)
    return None


def effective(config: dict[str, Any], older_than_days: int | None, folders: Iterable[str] | None) -> Rule:
    """The rule for one run: the arguments where given, else the stored values (ValidationError
    naming the problem when neither gives an age)."""
    base = stored(config)
    chosen = tuple(str(f).strip() for f in folders if str(f).strip()) if folders is not None else None
    if older_than_days is None:
        if base is None:
            raise ValidationError("this source has no cleanup rule; give older_than_days (--older-than-days N)")
        return Rule(base.older_than_days, chosen if chosen is not None else base.folders, base.to_trash,
                    base.by_archive_time)
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or not (
            0 <= older_than_days <= MAX_DAYS):
        raise ValidationError(f"older_than_days must be a whole number from 0 to {MAX_DAYS}")
    return Rule(older_than_days, chosen if chosen is not None else (base.folders if base else ()),
                config.get("cleanup_action") == "trash")
