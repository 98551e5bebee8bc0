"""Plain text formats (TXT, CSV, XML, calendar/vCard, ...) and HTML files."""

from __future__ import annotations

from lxml import etree

from ..charsets import sniff
from ..html_text import html_to_text
from .registry import Context, Extracted

# Markup bytes read per character of text kept: enough for markup-heavy documents
# (10:1 is typical of exported Office HTML) while the parsed tree stays bounded; a
# 25 MB HTML file would otherwise build a tree of several hundred MB.
MARKUP_BYTES_PER_CHAR = 10


def markup_prefix(data: bytes, ctx: Context) -> bytes:
    return data[: ctx.limits.max_attachment_chars * MARKUP_BYTES_PER_CHAR]


class TextExtractor:
    """Charset-sniffed text, returned as is."""

    name = "text"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return Extracted(text=sniff(data[: ctx.limits.max_attachment_chars * 4]))


class HtmlExtractor:
    """An HTML file as readable text."""

    name = "html"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        return Extracted(text=html_to_text(sniff(markup_prefix(data, ctx))))


class XmlExtractor:
    """XML: the character data of all elements, one element per line.

    Parsed without network access or entity expansion (no XXE, no billion laughs).
    """

    name = "xml"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
        data = markup_prefix(data, ctx)  # a cut document still parses: recover=True
        try:
            root = etree.fromstring(data, parser=parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            return Extracted(text=sniff(data))
        parts = [t.strip() for t in root.itertext() if t.strip()]
        return Extracted(text="\n".join(parts))
