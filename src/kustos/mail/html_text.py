"""HTML to readable plain text (for bodies without a text part, and .html files).

lxml's C parser does the heavy lifting (it is tolerant of any tag soup and fast);
we walk the tree once, drop non-content elements, and put line breaks where block
elements end. Never raises: unparseable input yields the input with tags stripped.
"""

from __future__ import annotations

import re

from lxml import etree, html

_SKIP = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"}
_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt", "dl",
    "form", "address", "center", "caption", "thead", "tbody", "tfoot", "body", "html",
}  # fmt: skip
_LINE = {"li", "tr", "br", "div", "dt", "dd", "option"}  # one line each, no blank line between
_CELL = {"td", "th"}
_SPACES = re.compile(r"[ \t\f\v\r\u00a0\u200b]+")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_TAGS = re.compile(r"<[^>]*>")


def _clean(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Readable text of an HTML document or fragment; never raises."""
    if not markup or not markup.strip():
        return ""
    try:
        root = html.document_fromstring(markup)
    except (etree.ParserError, ValueError, TypeError):
        return _clean(_TAGS.sub(" ", markup))
    out: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""  # comments / PIs have callables
        if event in ("comment", "pi"):
            if el.tail:
                out.append(el.tail)
        elif event == "start":
            if not tag or tag.lower() in _SKIP:
                walker.skip_subtree()  # its "end" event still comes and emits the tail
                continue
            low = tag.lower()
            if low == "br" or (low in _BLOCK and not (low in _LINE and out and out[-1].endswith("\n"))):
                out.append("\n")
            if el.text:
                out.append(el.text)
            if tag == "img" and el.get("alt"):
                out.append(f" {el.get('alt')} ")
        else:
            low = tag.lower()
            if low in _BLOCK and low != "br":  # <br> already broke the line at its start
                out.append("\n")
            elif low in _CELL:
                out.append("\t")
            if el.tail:
                out.append(el.tail)
    return _clean("".join(out))
