"""OpenDocument (ODT, ODS, ODP) via odfpy: headings and paragraphs in document order."""

from __future__ import annotations

import io

from odf import teletype
from odf.element import Element
from odf.namespaces import TEXTNS
from odf.opendocument import load

from .registry import Context, Extracted

_BLOCKS = {(TEXTNS, "p"), (TEXTNS, "h")}


class OdfExtractor:
    name = "odf"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        document = load(io.BytesIO(data))
        out: list[str] = []
        stack: list[Element] = [document.body]
        # Iterative walk: hostile documents can nest deeper than Python's stack.
        while stack:
            ctx.budget.check()
            node = stack.pop()
            if getattr(node, "qname", None) in _BLOCKS:
                text = teletype.extractText(node)
                if text:
                    out.append(text)
                continue
            stack.extend(reversed(node.childNodes))
        return Extracted(text="\n".join(out))
