"""Plain text formats (TXT, CSV, XML, calendar/vCard, ...) and HTML files."""

from __future__ import annotations

from lxml import etree

from ..charsets import sniff
from ..html_text import html_to_text
from .registry import Context, Extracted


class TextExtractor:
    """Charset-sniffed text, returned as is."""

    name = "text"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return Extracted(text=sniff(data[: ctx.limits.max_attachment_chars * 4]))


class HtmlExtractor:
    """An HTML file as readable text."""

    name = "html"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return Extracted(text=html_to_text(sniff(data)))


class XmlExtractor:
    """XML: the character data of all elements, one element per line.

    Parsed without network access or entity expansion (no XXE, no billion laughs).
    """

    name = "xml"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
        try:
            root = etree.fromstring(data, parser=parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            return Extracted(text=sniff(data))
        parts = [t.strip() for t in root.itertext() if t.strip()]
        return Extracted(text="\n".join(parts))
