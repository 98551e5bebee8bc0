"""HTML for the dashboard from the Markdown the compliance documents are written in.

Only the constructs those documents use: headings, paragraphs, pipe tables, bulleted and
numbered lines. Every piece of text is escaped; no Markdown from users is interpreted.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(line: str) -> list[str]:
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip().strip("|"))]


def _table(rows: list[str]) -> str:
    head, body = _cells(rows[0]), [_cells(r) for r in rows[2:]]
    out = ['<div class="table-wrap"><table class="data"><thead><tr>']
    out += [f"<th>{escape(c)}</th>" for c in head]
    out.append("</tr></thead><tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def to_html(markdown: str) -> SafeString:
    parts: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            parts.append(_table(block))
            continue
        if line.startswith("## "):
            parts.append(f"<h3>{escape(line[3:])}</h3>")
        elif line.startswith("# "):
            parts.append(f"<h2>{escape(line[2:])}</h2>")
        elif line.startswith("- "):
            parts.append(f'<p class="small">• {escape(line[2:])}</p>')
        elif line.strip():
            parts.append(f"<p>{escape(line)}</p>")
        i += 1
    return mark_safe("\n".join(parts))  # noqa: S308 - every text piece above is escaped
