"""Text rules shared by the iCalendar and vCard renderers (RFC 5545 / RFC 6350): escaping of
property values and folding of content lines at 75 octets."""

from __future__ import annotations

from typing import Any


def esc(value: Any) -> str:
    return (str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold at 75 octets, never inside a character."""
    out, current, size = [], "", 0
    for char in line:
        n = len(char.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " " + char, 1 + n
        else:
            current += char
            size += n
    out.append(current)
    return "\r\n".join(out)


def lines(content: list[str]) -> bytes:
    """Content lines, folded, CRLF-terminated, UTF-8."""
    return ("\r\n".join(fold(line) for line in content) + "\r\n").encode("utf-8")
