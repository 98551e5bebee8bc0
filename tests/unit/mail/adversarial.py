"""Hostile messages of a given size that stress the MIME parser's memory and time.

Each builder returns raw bytes of about ``size`` bytes. They model the shapes that
made a copy-per-level parser use ~130x the message size: the bulk of the bytes sits
at the bottom of a deep structure, so any slice taken per level copies it again.
"""

from __future__ import annotations

import base64
import binascii
import os

HEAD = b"From: attacker@example.org\nTo: victim@example.net\nSubject: hostile\nMIME-Version: 1.0\n"


def _filler(size: int) -> bytes:
    """Plain 7-bit text lines (no '=', no '--'), ``size`` bytes."""
    line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod\n"
    return (line * (size // len(line) + 1))[:size]


def deep_multipart(size: int, depth: int = 200) -> bytes:
    """``depth`` nested multipart/mixed levels; the bulk of the bytes at the bottom."""
    opening = b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n" % (i, i + 1) for i in range(depth)
    )
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth + 1)))
    used = len(HEAD) + len(opening) + len(closing) + 200
    leaf = b"--b%d\nContent-Type: application/octet-stream\n\n" % depth + _filler(size - used)
    return HEAD + b'Content-Type: multipart/mixed; boundary="b0"\n\n' + opening + leaf + closing


def rfc822_chain(size: int, depth: int = 200, encoding: bytes = b"7bit") -> bytes:
    """``depth`` message/rfc822 parts each holding the next message. With
    ``encoding=b"quoted-printable"`` every level declares QP (the content has no
    '=', so it stays valid QP and the same size): a parser that decodes each level
    into a new buffer copies the whole message per level."""
    wrapper = (
        b"From: fwd%d@example.org\nSubject: level %d\nContent-Type: message/rfc822\n"
        b"Content-Transfer-Encoding: " + encoding + b"\n\n"
    )
    prefix = b"".join(wrapper % (i, i) for i in range(depth))
    used = len(HEAD) + len(prefix) + 80
    inner = b"From: inner@example.org\nSubject: bottom\n\n" + _filler(size - used)
    return HEAD + prefix + inner


def many_parts(size: int, part_size: int = 100) -> bytes:
    """Countless tiny text attachments."""
    part = b"--sep\nContent-Type: text/plain; name=\"a.txt\"\nContent-Disposition: attachment\n\n"
    part += _filler(max(part_size - len(part), 1)) + b"\n"
    count = size // len(part)
    return HEAD + b"Content-Type: multipart/mixed; boundary=sep\n\n" + part * count + b"--sep--\n"


def huge_base64(size: int) -> bytes:
    """One text body and one random attachment, both base64, together ``size`` bytes."""
    text = base64.encodebytes(_filler(size // 4 * 3 // 2))
    blob = base64.encodebytes(os.urandom(size // 4 * 3 // 2))
    return (
        HEAD
        + b"Content-Type: multipart/mixed; boundary=sep\n\n"
        + b"--sep\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + text
        + b"--sep\nContent-Type: application/octet-stream; name=\"x.bin\"\n"
        + b"Content-Transfer-Encoding: base64\n\n"
        + blob
        + b"--sep--\n"
    )


def huge_quoted_printable(size: int) -> bytes:
    """A QP format=flowed text body of short lines and a QP HTML body of tiny tags."""
    line = "Gr\u00fc\u00dfe aus K\u00f6ln \u20ac \n".encode()  # flowed: trailing space joins lines
    text = binascii.b2a_qp(line * (size // 2 // 40))
    html = binascii.b2a_qp(b"<html><body>" + b"<b>x</b><i>y</i>" * (size // 2 // 24) + b"</body></html>")
    return (
        HEAD
        + b"Content-Type: multipart/alternative; boundary=sep\n\n"
        + b"--sep\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=no\n"
        + b"Content-Transfer-Encoding: quoted-printable\n\n"
        + text
        + b"\n--sep\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        + html
        + b"\n--sep--\n"
    )


def huge_html_only(size: int) -> bytes:
    """An HTML-only message of tiny nested tags (the text is derived from the HTML)."""
    html = b"<html><body>" + b"<div><span>w</span></div>" * (size // 25) + b"</body></html>"
    return HEAD + b"Content-Type: text/html; charset=utf-8\n\n" + html


def huge_headers(size: int) -> bytes:
    """Countless short header fields plus one enormous To: field."""
    fields = b"X-A: b\n" * (size // 2 // 7)
    recipients = b", ".join(b"r%d@example.net" % i for i in range(size // 2 // 18))
    return HEAD + fields + b"To: " + recipients + b"\n\nbody\n"


def _attachment_message(ctype: bytes, name: bytes, data: bytes) -> bytes:
    return (
        HEAD
        + b"Content-Type: multipart/mixed; boundary=sep\n\n--sep\nContent-Type: text/plain\n\nsee attached\n"
        + b"--sep\nContent-Type: " + ctype + b"; name=\"" + name + b"\"\nContent-Disposition: attachment\n"
        + b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(data) + b"--sep--\n"
    )


def huge_html_attachment(size: int) -> bytes:
    """An HTML file of tiny tags (text extraction builds a tree of it)."""
    html = b"<html><body>" + b"<div><span>w</span></div>" * (size // 25 // 4 * 3) + b"</body></html>"
    return _attachment_message(b"text/html", b"page.html", html)


def huge_xml_attachment(size: int) -> bytes:
    """An XML file of tiny elements."""
    xml = b"<r>" + b"<a><b>w</b></a>" * (size // 15 // 4 * 3) + b"</r>"
    return _attachment_message(b"text/xml", b"data.xml", xml)


BUILDERS = {
    "deep_multipart": deep_multipart,
    "rfc822_chain": rfc822_chain,
    "rfc822_chain_qp": lambda size: rfc822_chain(size, encoding=b"quoted-printable"),
    "many_parts": many_parts,
    "huge_base64": huge_base64,
    "huge_quoted_printable": huge_quoted_printable,
    "huge_html_only": huge_html_only,
    "huge_headers": huge_headers,
    "huge_html_attachment": huge_html_attachment,
    "huge_xml_attachment": huge_xml_attachment,
}
