"""Streaming splitter for mbox files (mboxo, mboxrd, mboxcl/mboxcl2 with Content-Length).

Reads the file in large chunks and looks for separators with ``bytes.find`` (C speed),
so memory is bounded by the largest single message plus one chunk, never by the file.
Conventions (those of MimeKit and Python's ``mailbox``): a message runs from the line
after its ``From_`` line to the line terminator before the next ``From_`` line (that
terminator belongs to the separating blank line and is dropped); the last message runs
to end of file, minus the terminator of a final blank line. Quoted ``>From `` lines lose
one ``>`` (mboxrd), except in messages delimited by a valid ``Content-Length`` header
(mboxcl2 does not quote).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .sniff import UTF8_BOM, is_from_line, is_header_line

CHUNK = 1024 * 1024
_QUOTED_FROM = re.compile(rb"(?m)^>(>*From )")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")


@dataclass
class MboxMessage:
    offset: int  # byte offset of the From_ line
    from_line: bytes
    raw: bytes


def header_end(data: bytes, start: int = 0) -> tuple[int, int] | None:
    """``(newline, body_start)`` of the first empty line at or after ``start``, if any.

    Plain ``find`` calls over a growing span: a regex, or an unbounded search for the
    line-ending style a file does not use, would rescan the whole read-ahead window for
    every message.
    """
    span = 16 * 1024
    while True:
        stop = min(len(data), start + span)
        lf = data.find(b"\n\n", start, stop)
        crlf = data.find(b"\n\r\n", start, stop if lf < 0 else lf + 2)
        if crlf >= 0 and (lf < 0 or crlf < lf):
            return crlf, crlf + 3
        if lf >= 0:
            return lf, lf + 2
        if stop >= len(data):
            return None
        start, span = stop - 2, span * 4


class NotAnMbox(Exception):
    """The file does not start with an mbox From_ line."""

    def __init__(self) -> None:
        super().__init__("not an mbox file: the first line is not a 'From ' separator line")


class _Window:
    """A growing window over the file: ``data`` starts at file offset ``base``."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.data = b""
        self.base = 0
        self.eof = False

    def fill(self, upto: int) -> None:
        """Read until ``data`` holds at least ``upto`` bytes or the file ends."""
        parts = [self.data]
        size = len(self.data)
        while size < upto and not self.eof:
            # Grow geometrically so a huge message costs O(n) copying, not O(n^2).
            chunk = self.fh.read(max(CHUNK, upto - size, size // 2))
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            size += len(chunk)
        self.data = b"".join(parts)

    def line_end(self, pos: int) -> int:
        """Index just past the line starting at ``pos`` (reads on as needed)."""
        while True:
            end = self.data.find(b"\n", pos)
            if end >= 0:
                return end + 1
            if self.eof:
                return len(self.data)
            self.fill(len(self.data) + CHUNK)

    def line(self, pos: int) -> bytes | None:
        if pos >= len(self.data) and self.eof:
            return None
        end = self.line_end(pos)
        return self.data[pos:end].rstrip(b"\r\n") if end > pos else None

    def drop(self, pos: int) -> None:
        self.data = self.data[pos:]
        self.base += pos


def _is_separator(win: _Window, pos: int, prev_blank: bool) -> bool:
    """Is the line starting at ``pos`` a From_ separator?"""
    line = win.line(pos)
    if line is None or not line.startswith(b"From "):
        return False
    nxt = win.line(win.line_end(pos))
    if not is_from_line(line, nxt):
        return False
    # Without a blank line before it, only accept a From_ line followed by a header.
    return prev_blank or (nxt is not None and is_header_line(nxt))


def _blank_before(data: bytes, newline: int) -> bool:
    """Is the line that ends with the ``\\n`` at index ``newline`` empty?"""
    start = data.rfind(b"\n", 0, newline) + 1
    return data[start:newline].strip() == b""


def _drop_last_eol(raw: bytes) -> bytes:
    if raw.endswith(b"\r\n"):
        return raw[:-2]
    return raw[:-1] if raw.endswith(b"\n") else raw


def _ends_blank(raw: bytes) -> bool:
    """Does ``raw`` end with an empty (or whitespace-only) line?"""
    return raw.endswith(b"\n") and _blank_before(raw, len(raw) - 1)


def _next_separator(win: _Window, start: int) -> int:
    """Offset of the next separator line at or after ``start`` (``-1``: none before EOF)."""
    win.fill(start + 5)
    # The first line of a message has no line before it in the message.
    if win.data.startswith(b"From ", start) and _is_separator(win, start, True):
        return start
    search = start
    while True:
        hit = win.data.find(b"\nFrom ", search)
        if hit < 0:
            if win.eof:
                return -1
            search = max(start, len(win.data) - 5)
            win.fill(len(win.data) + CHUNK)
            continue
        if _is_separator(win, hit + 1, _blank_before(win.data, hit)):
            return hit + 1
        search = hit + 1


def _by_content_length(win: _Window, start: int) -> tuple[int, int] | None:
    """``(body_end, next_start)`` if a Content-Length header lands on a message boundary.

    Blank lines between ``body_end`` and ``next_start`` belong to the message except
    the separator's own terminator.
    """
    while True:
        head = header_end(win.data, start)
        if head is not None or win.eof:
            break
        win.fill(len(win.data) + CHUNK)
    if head is None:
        return None
    newline, body = head
    if b"content-length:" not in win.data[start : newline + 1].lower():
        return None
    matches = list(_CONTENT_LENGTH.finditer(win.data, start, newline + 1))
    if not matches:
        return None
    match = matches[-1]  # the last one wins, as in the reference readers
    end = body + int(match.group(1))
    win.fill(end + 4096)
    if end > len(win.data):
        return None
    pos = end
    while pos < len(win.data):
        line = win.line(pos)
        if line is None or line.strip() != b"" or _is_separator(win, pos, True):
            break
        pos = win.line_end(pos)
    if (pos >= len(win.data) and win.eof) or _is_separator(win, pos, True):
        return (end, pos)
    return None


def iter_mbox(fh: BinaryIO) -> Iterator[MboxMessage]:
    """Yield the messages of an mbox file opened in binary mode, one at a time."""
    win = _Window(fh)
    win.fill(CHUNK)
    if win.data.startswith(UTF8_BOM):
        win.drop(len(UTF8_BOM))
    if not _is_separator(win, 0, True):
        raise NotAnMbox()
    pos = 0
    while pos < len(win.data):
        body = win.line_end(pos)
        offset, from_line = win.base + pos, win.data[pos:body].rstrip(b"\r\n")
        delimited = _by_content_length(win, body)
        if delimited is not None:
            end, nxt = delimited
            raw = win.data[body:nxt]
            raw = _drop_last_eol(raw) if nxt > end else raw
        else:
            nxt = _next_separator(win, body)
            if nxt < 0:
                nxt = len(win.data)
                raw = win.data[body:]
                raw = _drop_last_eol(raw) if _ends_blank(raw) else raw
            else:
                raw = _drop_last_eol(win.data[body:nxt])
            if b">From " in raw:  # cheap test first: the regex scan is slow on big messages
                raw = _QUOTED_FROM.sub(rb"\1", raw)
        yield MboxMessage(offset, from_line, raw)
        pos = nxt
        if pos > CHUNK:  # release consumed bytes now and then, not per message (copies)
            win.drop(pos)
            pos = 0
        if pos >= len(win.data):
            win.fill(pos + CHUNK)
