"""The topics articles are grouped by, in display order, with their English and German names."""

from __future__ import annotations

TOPICS: dict[str, dict[str, str]] = {
    "connect": {"en": "Connect mail", "de": "E-Mail anbinden"},
    "archive": {"en": "Work with the archive", "de": "Mit dem Archiv arbeiten"},
    "compliance": {"en": "Retention, holds and data protection", "de": "Aufbewahrung, Sperren und Datenschutz"},
    "backup": {"en": "Backup and restore", "de": "Sicherung und Wiederherstellung"},
    "business": {"en": "Customers and billing", "de": "Kunden und Abrechnung"},
}


def topic_name(topic: str, lang: str) -> str:
    names = TOPICS.get(topic, {})
    return names.get(lang) or names.get("en") or topic
