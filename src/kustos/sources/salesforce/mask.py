"""Masking of personal fields for sandbox seeding: deterministic fakes that keep the format.

Personal fields: person names (``FirstName``, ``LastName``, ``MiddleName``, ``Suffix``, and ``Name``
of person objects: Contact, Lead, Individual, User, a person account, or any object with a
``LastName``; an Account's ``Name`` is a company's and stays), fields whose name ends (``__c`` and
underscores aside) in Email, Phone, Fax, Street, City, PostalCode or Birthdate (``MobilePhone``,
``PersonEmail``, ``BillingCity``, ``Home_Phone__c``, ...), fields the describe types ``email`` or
``phone``, plus the fields named per object by the caller. Ids, lookups and booleans are never masked.

A fake is derived from the value with a keyed hash (HMAC-SHA256 with the caller's key, e.g. the
target source): the same value gets the same fake everywhere in one seeding (so duplicates and
joins stay consistent), it never equals the real value, and it keeps the shape: an e-mail stays a
valid address (local part of the same length, a reserved ``.example`` domain), a phone keeps its
punctuation with other digits, text keeps its length, case, spaces and punctuation with other
letters and digits, a date stays a valid date (of the same form). Numbers keep their number of digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

PERSON_OBJECTS = ("Contact", "Lead", "Individual", "User")
NAME_FIELDS = ("FirstName", "LastName", "MiddleName", "Suffix")
# By the end of the name (``__c`` aside): MailingStreet, PersonEmail, PersonMobilePhone, Home_Phone__c, ...
ADDRESS_SUFFIXES = ("Street", "City", "PostalCode")
EMAIL_SUFFIXES = ("Email",)
PHONE_SUFFIXES = ("Phone", "Fax")
DATE_SUFFIXES = ("Birthdate",)
PERSONAL_SUFFIXES = ADDRESS_SUFFIXES + EMAIL_SUFFIXES + PHONE_SUFFIXES + DATE_SUFFIXES
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _is(field: str, suffixes: tuple[str, ...]) -> bool:
    return field.removesuffix("__c").replace("_", "").endswith(suffixes)


class Masker:
    def __init__(self, key: str, extra: Mapping[str, Iterable[str]] | None = None) -> None:
        self.key = key.encode()
        self.extra = {name: set(fields) for name, fields in (extra or {}).items()}

    # -- which fields ------------------------------------------------------------------------------
    def personal(self, name: str, record: Mapping[str, Any], describe: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """The fields of ``record`` (object ``name``) to mask."""
        out = []
        person = (name in PERSON_OBJECTS or "LastName" in record or "LastName" in describe
                  or record.get("IsPersonAccount") is True)
        for field in record:
            spec = describe.get(field) or {}
            kind = str(spec.get("type") or "")
            if kind in ("reference", "id", "boolean") or field == "Id":
                continue
            if (field in NAME_FIELDS or (field == "Name" and person)
                    or field.removesuffix("__c").replace("_", "").endswith(PERSONAL_SUFFIXES)
                    or kind in ("email", "phone") or field in self.extra.get(name, ())):
                out.append(field)
        return out

    def mask(self, name: str, record: Mapping[str, Any],
             describe: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], list[str]]:
        """The record with its personal fields faked, and the names of the fields changed."""
        out = dict(record)
        changed = []
        for field in self.personal(name, record, describe):
            value = record.get(field)
            if value is None or value == "" or isinstance(value, bool):
                continue
            kind = str((describe.get(field) or {}).get("type") or "")
            out[field] = self.fake(field, value, kind)
            changed.append(field)
        return out, changed

    # -- fakes -------------------------------------------------------------------------------------
    def _stream(self, label: str, value: str, attempt: int) -> bytes:
        seed = f"{label}\x00{value}\x00{attempt}".encode()
        blocks: list[bytes] = []
        counter = 0
        while len(blocks) * 32 < max(128, 2 * len(value) + 32):
            blocks.append(hmac.new(self.key, seed + counter.to_bytes(4, "big"), hashlib.sha256).digest())
            counter += 1
        return b"".join(blocks)

    def fake(self, field: str, value: Any, kind: str = "") -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return self._number(field, value)
        text = str(value)
        for attempt in range(8):  # a fake that happens to equal the value is drawn again
            if kind == "email" or _is(field, EMAIL_SUFFIXES) or (kind != "phone" and _EMAIL.match(text)):
                fake = self._email(text, attempt)
            elif kind == "phone" or _is(field, PHONE_SUFFIXES):
                fake = self._shape(text, self._stream("phone", text, attempt), letters=False)
            elif kind == "date" or _is(field, DATE_SUFFIXES):
                fake = self._date(text, attempt)
            else:
                fake = self._shape(text, self._stream("text", text, attempt))
            if fake != text:
                return fake
        return "x" * len(text) if text != "x" * len(text) else "y" * len(text)

    @staticmethod
    def _shape(text: str, pool: bytes, letters: bool = True) -> str:
        """Same length, case, spaces and punctuation; other letters and digits."""
        out = []
        for i, char in enumerate(text):
            byte = pool[i % len(pool)]
            if char.isdigit():
                out.append(str(byte % 10))
            elif letters and char.isalpha():
                letter = string.ascii_lowercase[byte % 26]
                out.append(letter.upper() if char.isupper() else letter)
            else:
                out.append(char)
        return "".join(out)

    def _email(self, text: str, attempt: int) -> str:
        local, _, domain = text.rpartition("@")
        local = local or text
        host = domain.rpartition(".")[0] or domain
        pool = self._stream("email", text.lower(), attempt)
        alphabet = string.ascii_lowercase + string.digits
        fake_local = string.ascii_lowercase[pool[0] % 26] + "".join(
            alphabet[b % len(alphabet)] for b in pool[1:min(len(local), 64)])
        label = "".join(string.ascii_lowercase[b % 26] for b in pool[64:64 + min(max(len(host), 3), 40)])
        return f"{fake_local}@{label}.example"

    def _date(self, text: str, attempt: int) -> str:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return self._shape(text, self._stream("date", text, attempt))
        pool = self._stream("date", text, attempt)
        shift = 1 + int.from_bytes(pool[:4], "big") % 3650  # up to ten years earlier
        fake = day - timedelta(days=shift)
        return fake.isoformat() + text[10:]

    def _number(self, field: str, value: int | float) -> int | float:
        text = str(abs(value))
        pool = self._stream("number", text, 0)
        digits = self._shape(text, pool, letters=False)
        if digits.lstrip("0.") == "" or digits == text:
            digits = "1" + digits[1:] if digits[0] != "1" else "2" + digits[1:]
        if digits[0] == "0" and len(digits) > 1 and digits[1] != ".":
            digits = "1" + digits[1:]
        fake = float(digits) if isinstance(value, float) else int(digits)
        return -fake if value < 0 else fake
