"""Streaming splitter for mbox files (mboxo, mboxrd, mboxcl/mboxcl2 with Content-Length).

Reads line by line from a binary file, so memory is bounded by the largest single
message, never by the file. Conventions (those of MimeKit and Python's ``mailbox``):
a message runs from the line after its ``From_`` line to the line terminator before the
next ``From_`` line (that terminator is the separating blank line and is dropped); the
last message runs to end of file, minus the terminator of a final blank line. Quoted ``>From `` lines lose one ``>`` (mboxrd), except
in messages delimited by a valid ``Content-Length`` header (mboxcl2 does not quote).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .sniff import UTF8_BOM, is_from_line, is_header_line

_QUOTED_FROM = re.compile(rb"^>+From ")
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?\n?$", re.IGNORECASE)


@dataclass
class MboxMessage:
    offset: int  # byte offset of the From_ line
    from_line: bytes
    raw: bytes


def _strip_eol(line: bytes) -> bytes:
    return line.rstrip(b"\r\n")


def _drop_last_eol(lines: list[bytes]) -> None:
    if not lines:
        return
    last = lines[-1]
    if last.endswith(b"\r\n"):
        lines[-1] = last[:-2]
    elif last.endswith(b"\n"):
        lines[-1] = last[:-1]


def _unquote(lines: list[bytes]) -> list[bytes]:
    return [line[1:] if _QUOTED_FROM.match(line) else line for line in lines]


class _Lines:
    """A readline source with one line of lookahead and seek support."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.pos = fh.tell()
        self.line = fh.readline()

    def peek_next(self) -> bytes | None:
        here = self.fh.tell()
        nxt = self.fh.readline()
        self.fh.seek(here)
        return _strip_eol(nxt) if nxt else None

    def advance(self) -> bytes:
        current = self.line
        self.pos = self.fh.tell()
        self.line = self.fh.readline()
        return current

    def seek(self, pos: int) -> None:
        self.fh.seek(pos)
        self.pos = pos
        self.line = self.fh.readline()


def _is_separator(src: _Lines, prev: bytes | None) -> bool:
    line = _strip_eol(src.line)
    if not line.startswith(b"From "):
        return False
    if not is_from_line(line, src.peek_next()):
        return False
    # Without a blank line before it, only accept a From_ line followed by a header.
    if prev is not None and _strip_eol(prev) != b"":
        nxt = src.peek_next()
        return nxt is not None and is_header_line(nxt)
    return True


def _try_content_length(src: _Lines, header_lines: list[bytes]) -> list[bytes] | None:
    """If the headers carry a Content-Length that lands on a message boundary, read the body."""
    length = None
    for line in header_lines:
        match = _CONTENT_LENGTH.match(line)
        if match:
            length = int(match.group(1))
    if length is None:
        return None
    start = src.pos
    src.fh.seek(start)
    body = src.fh.read(length)
    end = src.fh.tell()
    following = src.fh.readline()
    ok = len(body) == length and (
        not following
        or (following.strip() == b"" and _boundary_at(src, src.fh.tell()))
        or _boundary_at(src, end)
    )
    if not ok:
        src.seek(start)
        return None
    src.seek(end)
    return [body]


def _boundary_at(src: _Lines, pos: int) -> bool:
    here = src.fh.tell()
    src.fh.seek(pos)
    line = src.fh.readline()
    nxt = src.fh.readline()
    src.fh.seek(here)
    return not line or is_from_line(_strip_eol(line), _strip_eol(nxt) if nxt else None)


class NotAnMbox(Exception):
    """The file does not start with an mbox From_ line."""

    def __init__(self) -> None:
        super().__init__("not an mbox file: the first line is not a 'From ' separator line")


def iter_mbox(fh: BinaryIO) -> Iterator[MboxMessage]:
    """Yield the messages of an mbox file opened in binary mode, one at a time."""
    start = fh.read(len(UTF8_BOM))
    if start != UTF8_BOM:
        fh.seek(0)
    src = _Lines(fh)
    if not src.line or not is_from_line(_strip_eol(src.line), src.peek_next()):
        raise NotAnMbox()
    while src.line:
        offset, from_line = src.pos, _strip_eol(src.advance())
        lines: list[bytes] = []
        # Headers first: a Content-Length among them may delimit the body exactly.
        while src.line and src.line.strip() != b"":
            if _is_separator(src, lines[-1] if lines else b""):
                break
            lines.append(src.advance())
        body: list[bytes] | None = None
        if src.line and src.line.strip() == b"":
            lines.append(src.advance())
            body = _try_content_length(src, lines)
        if body is not None:
            lines.extend(body)
            trailing = 0
            while src.line and src.line.strip() == b"" and not _is_separator(src, b""):
                lines.append(src.advance())
                trailing += 1
            if trailing:
                _drop_last_eol(lines)
            yield MboxMessage(offset, from_line, b"".join(lines))
            continue
        while src.line and not _is_separator(src, lines[-1] if lines else b""):
            lines.append(src.advance())
        # Before a separator, and at end of file after the blank line writers append to
        # every message, the last line terminator is the separator's, not the message's.
        if src.line or (lines and lines[-1].strip() == b""):
            _drop_last_eol(lines)
        yield MboxMessage(offset, from_line, b"".join(_unquote(lines)))
