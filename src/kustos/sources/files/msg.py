"""Outlook ``.msg`` files via extract-msg: RFC 822 for search, the .msg bytes kept as original."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .eml import MAX_MESSAGE_BYTES
from .model import Entry, ImportItem, quarantine_file
from .msg_convert import attr, aware, message_class, msg_bytes, safe
from .pst_convert import item_kind
from .sniff import OLE2_MAGIC, describe

# extract-msg logs every unusual property at WARNING; that is noise for an importer and
# may include message contents, which must not reach the logs.
logging.getLogger("extract_msg").setLevel(logging.CRITICAL)

_SUBSTG = "__substg1.0_".encode("utf-16-le")


def _extract_msg() -> Any:
    """extract-msg (~20 MB of modules) is imported by the first .msg file, not by every importer."""
    return importlib.import_module("extract_msg")


class MsgReader:
    """One item per file: ``raw`` is the converted message, ``original`` the file's bytes."""

    name: str = "msg"
    extensions: tuple[str, ...] = (".msg",)

    def sniff(self, head: bytes, path: Path) -> bool:
        # Other OLE2 files (.doc, .xls) share the signature: take them by extension, or
        # when a MAPI property stream name shows in the first directory sector.
        if not head.startswith(OLE2_MAGIC):
            return False
        return path.suffix.lower() == ".msg" or _SUBSTG in head

    def read(self, path: Path, folder: str = "") -> Iterator[Entry]:
        with path.open("rb") as fh:
            data = fh.read(MAX_MESSAGE_BYTES + 1)
        if not data.startswith(OLE2_MAGIC):
            yield quarantine_file(
                str(path), f"not an Outlook MSG file: no OLE2 signature ({describe(data[:64])})"
            )
            return
        if len(data) > MAX_MESSAGE_BYTES:
            yield quarantine_file(str(path), f"Outlook MSG file larger than {MAX_MESSAGE_BYTES} bytes")
            return
        try:
            msg = _extract_msg().openMsg(data, strict=False)
        except Exception as exc:  # extract-msg raises many kinds on malformed OLE2 content
            yield quarantine_file(str(path), f"not a readable Outlook MSG file: {type(exc).__name__}: {exc}")
            return
        try:
            cls = message_class(msg)
            try:
                raw = msg_bytes(msg)
            except Exception as exc:  # conversion of a damaged item; keep the original
                yield quarantine_file(str(path), f"Outlook MSG ({cls}) could not be converted: {exc}")
                return
            yield ImportItem(
                raw=raw,
                folders=[folder] if folder else [],
                source_path=str(path),
                kind=item_kind(cls),
                original=data,
                original_kind="msg",
                received=aware(attr(msg, "receivedTime", None)),
            )
        finally:
            safe(msg.close, None)

    def count(self, path: Path) -> int | None:
        return 1
