"""Markdown to HTML for help articles: a small, strict subset, every piece of text escaped.

Supported: ``#``/``##``/``###`` headings, paragraphs, ``-`` bulleted and ``1.`` numbered lists,
fenced code blocks (```), inline ``code``, ``**bold**`` and links whose target is a dashboard
path (``/...``) or another article (``help:slug``). Raw HTML in an article is shown as text, never
interpreted; there are no inline styles or scripts (the dashboard's CSP forbids them).
"""

from __future__ import annotations

import re
from html import escape

_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")
_ORDERED = re.compile(r"^\d+\.\s+")


class ArticleError(ValueError):
    """An article uses a construct or link target the renderer does not allow."""


def link_target(target: str) -> str:
    """The href for a Markdown link target: a dashboard path or ``help:slug``; others are refused."""
    if target.startswith("help:"):
        slug = target[5:]
        if not re.fullmatch(r"[a-z0-9-]+", slug):
            raise ArticleError(f"bad article link {target!r}")
        return f"/help/{slug}/"
    if target.startswith("/") and not target.startswith("//"):
        return target
    raise ArticleError(f"link target {target!r} is neither a dashboard path nor help:slug")


def inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[pos:m.start()]))
        code, bold, label, target = m.groups()
        if code is not None:
            out.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{escape(bold)}</strong>")
        else:
            out.append(f'<a href="{escape(link_target(target))}">{escape(label)}</a>')
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def to_html(markdown: str) -> str:
    """HTML for ``markdown``; raises ArticleError for a link the renderer does not allow."""
    parts: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if para:
            parts.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            parts.append(f"<{list_tag}>" + "".join(f"<li>{inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""

    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            block: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            parts.append(f'<pre class="archive-pre"><code>{escape(chr(10).join(block))}</code></pre>')
        elif not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            level = len(stripped) - len(stripped.lstrip("#"))
            level = min(max(level, 1), 3) + 1  # the page's <h1> is the article title
            parts.append(f"<h{level}>{inline(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped.startswith("- ") or _ORDERED.match(stripped):
            tag = "ul" if stripped.startswith("- ") else "ol"
            if para or (list_tag and list_tag != tag):
                flush()
            list_tag = tag
            items.append(stripped[2:] if tag == "ul" else _ORDERED.sub("", stripped))
        elif items and line.startswith("  "):
            items[-1] += " " + stripped  # continuation of a list item
        else:
            if items:
                flush()
            para.append(stripped)
        i += 1
    flush()
    return "\n".join(parts)
