"""RTF via striprtf (RTF is 7-bit with escapes; stray 8-bit bytes read as cp1252)."""

from __future__ import annotations

from striprtf.striprtf import rtf_to_text

from .registry import Context, Extracted


def rtf_bytes_to_text(data: bytes) -> str:
    return str(rtf_to_text(data.decode("cp1252", "replace"), errors="replace"))


class RtfExtractor:
    name = "rtf"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return Extracted(text=rtf_bytes_to_text(data))
