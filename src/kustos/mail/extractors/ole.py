"""Legacy binary Office files (.doc, .xls, .ppt): best-effort text for search.

No maintained pure-Python reader for these formats exists in our stack, so we read
the document's main stream from the OLE container (olefile) and keep the runs of
readable characters, in UTF-16LE (how Word 97+, Excel's string table and PowerPoint
store most text) and in 8-bit cp1252 (Word's "compressed" text pieces). Formatting
names and similar noise come along; for full-text search that is an acceptable
price, and the original bytes stay available for download.
"""

from __future__ import annotations

import io
import re

import olefile

from .registry import Context, Extracted, ExtractionError

_STREAMS = ("WordDocument", "Workbook", "Book", "PowerPoint Document")
# Latin-1, Latin Extended, Greek and Cyrillic code units only: wider ranges would
# also match ASCII read at an odd offset (which looks like CJK).
_UTF16_RUN = re.compile(rb"(?:[\x09\x0a\x0d\x20-\x7e\xa0-\xff]\x00|[\x00-\xff][\x01-\x04]){5,}")
_BYTE_RUN = re.compile(rb"[\x09\x0a\x0d\x20-\x7e\xc0-\xff]{6,}")
_WORDISH = re.compile(r"[^\W\d_]{3,}")  # a run must contain a real word to be kept


def _runs(data: bytes) -> list[str]:
    out: list[str] = []
    for match in _UTF16_RUN.finditer(data):
        chunk = match.group(0)
        text = chunk[: len(chunk) // 2 * 2].decode("utf-16-le", "ignore").strip()
        if _WORDISH.search(text):
            out.append(text)
    for match in _BYTE_RUN.finditer(data):
        text = match.group(0).decode("cp1252", "ignore").strip()
        if _WORDISH.search(text) and " " in text:
            out.append(text)
    return out


class LegacyOfficeExtractor:
    name = "ole-office"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        try:
            container = olefile.OleFileIO(io.BytesIO(data))
        except Exception as exc:  # olefile raises OSError/struct errors on garbage
            raise ExtractionError(f"not a readable OLE document: {type(exc).__name__}") from exc
        try:
            texts: list[str] = []
            for name in _STREAMS:
                if container.exists(name):
                    ctx.budget.check()
                    stream = container.openstream(name).read(ctx.limits.max_attachment_bytes)
                    texts.extend(_runs(stream))
            if container.exists("EncryptedPackage"):
                raise ExtractionError("encrypted Office document")
            return Extracted(text="\n".join(texts))
        finally:
            container.close()
