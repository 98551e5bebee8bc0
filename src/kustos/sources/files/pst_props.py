"""MAPI property access for pypff items, including named properties.

pypff exposes an item's properties as record entries keyed by property id. Named
properties (ids 0x8000 and up) are file-specific numbers; their meaning (property set
GUID + numeric id) is in the PST's name-to-id map, parsed here as specified in
[MS-PST] 2.4.7 because pypff does not expose that mapping.
"""

from __future__ import annotations

import struct
import uuid
from datetime import UTC, datetime
from typing import Any

PSETID_APPOINTMENT = "00062002-0000-0000-c000-000000000046"
PSETID_TASK = "00062003-0000-0000-c000-000000000046"
PSETID_ADDRESS = "00062004-0000-0000-c000-000000000046"

_STRING_TYPES = (0x001E, 0x001F)
_INT_TYPES = (0x0002, 0x0003, 0x0014)


class NameMap:
    """(property set GUID, numeric id) → file-specific property id."""

    def __init__(self, pst: Any) -> None:
        self.ids: dict[tuple[str, int], int] = {}
        try:
            item = pst.name_to_id_map
            record = item.get_record_set(0) if item is not None and item.number_of_record_sets else None
        except OSError:
            record = None
        if record is None:
            return
        entries = _entry_data(record, 0x0003)
        guids = _entry_data(record, 0x0002)
        for offset in range(0, len(entries) - 7, 8):
            number, kind, index = struct.unpack_from("<IHH", entries, offset)
            if kind & 1:
                continue  # string-named properties are not needed here
            guid_index = kind >> 1
            if guid_index < 3:
                continue  # PS_MAPI / PS_PUBLIC_STRINGS
            raw = guids[(guid_index - 3) * 16 : (guid_index - 2) * 16]
            if len(raw) == 16:
                self.ids[(str(uuid.UUID(bytes_le=raw)), number)] = 0x8000 + index

    def tag(self, guid: str, number: int) -> int | None:
        return self.ids.get((guid, number))


def _entry_data(record: Any, tag: int) -> bytes:
    try:
        entry = record.get_entry_by_type(tag)
    except OSError:
        return b""
    return bytes(entry.data or b"") if entry is not None else b""


class Props:
    """Typed, failure-tolerant access to one pypff item's (first) property record set."""

    def __init__(self, item: Any, names: NameMap | None = None, record_set: int = 0) -> None:
        self.entries: dict[int, Any] = {}
        self.names = names
        try:
            if item.number_of_record_sets > record_set:
                for entry in item.get_record_set(record_set).entries:
                    self.entries.setdefault(entry.entry_type, entry)
        except OSError:
            pass

    def _entry(self, tag: int | None) -> Any:
        return self.entries.get(tag) if tag is not None else None

    def named(self, guid: str, number: int) -> int | None:
        return self.names.tag(guid, number) if self.names else None

    def text(self, tag: int | None) -> str:
        entry = self._entry(tag)
        if entry is None or entry.value_type not in _STRING_TYPES:
            return ""
        try:
            value = entry.data_as_string
        except (OSError, UnicodeDecodeError):
            return ""
        return (value or "").rstrip("\x00")

    def integer(self, tag: int | None) -> int | None:
        entry = self._entry(tag)
        if entry is None or entry.value_type not in _INT_TYPES:
            return None
        try:
            return int(entry.data_as_integer)
        except (OSError, ValueError, TypeError):
            return None

    def boolean(self, tag: int | None) -> bool | None:
        entry = self._entry(tag)
        if entry is None or entry.value_type != 0x000B:
            return None
        try:
            return bool(entry.data_as_boolean)
        except (OSError, ValueError, TypeError):
            return None

    def time(self, tag: int | None) -> datetime | None:
        entry = self._entry(tag)
        if entry is None or entry.value_type != 0x0040:
            return None
        try:
            value = entry.data_as_datetime
        except (OSError, ValueError, OverflowError):
            return None
        if not isinstance(value, datetime) or value.year < 1971 or value.year > 4000:
            return None  # 4500-08-31 and the like mean "none" in MAPI
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    def data(self, tag: int | None) -> bytes:
        entry = self._entry(tag)
        if entry is None:
            return b""
        try:
            return bytes(entry.data or b"")
        except OSError:
            return b""


def strip_subject_prefix(subject: str) -> str:
    """PR_SUBJECT may start with ``\\x01`` plus a prefix-length character; drop both."""
    return subject[2:] if subject.startswith("\x01") else subject
