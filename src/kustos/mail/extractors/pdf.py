"""PDF text via pypdf (pure Python, so the time budget can interrupt it)."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader

from .registry import Context, Extracted, ExtractionError

# pypdf logs a warning for every malformed object; at ingest scale that floods the
# log with attacker-controlled noise.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfExtractor:
    name = "pdf"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ExtractionError("PDF is encrypted")
            except NotImplementedError as exc:
                raise ExtractionError(f"PDF encryption not supported: {exc}") from exc
        out: list[str] = []
        size = 0
        for page in reader.pages:
            ctx.budget.check()
            text = page.extract_text() or ""
            out.append(text)
            size += len(text)
            if size >= ctx.limits.max_attachment_chars:
                break
        return Extracted(text="\n".join(out))
