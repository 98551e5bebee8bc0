"""Filtering inline CSS (``style`` attributes) so it cannot load anything remote.

A browser reads CSS after undoing escapes (``u\\72 l(`` and ``u\\rl(`` are ``url(``)
and comments, so patterns matched against the raw text are easy to split. Here the
value is first normalised the way a CSS tokenizer sees it (comments removed, escapes
undone, control characters dropped; repeated until nothing changes), then checked
declaration by declaration, and the *normalised* text is what is returned, so what
was checked is what the browser gets.

Fail closed: a declaration is dropped when it holds script-like CSS (``expression(``,
``behavior``, ``-moz-binding``, ``@import``) or, unless remote content is allowed,
anything that can fetch besides a ``url()`` we rewrite (``image-set(``,
``-webkit-image-set(``, ``src(``, ``image(``, ``cross-fade(``, ``element(``, a string
that starts with a scheme or ``//``), or a ``url(`` we cannot parse. A value that
does not settle under normalisation is dropped whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CidUrl = Callable[[str], "str | None"]

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\r\n\f])|(.))", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_ROUNDS = 4

_SCRIPTY = re.compile(r"@import|expression\s*\(|behavior|binding|javascript\s*:|vbscript\s*:", re.I)
_FETCHING = re.compile(
    r"(?:^|[^a-z0-9_-])(?:-[a-z]+-)?(?:image-set|image|cross-fade|element|src)\s*\("
    r"""|["']\s*(?://|[a-z][a-z0-9+.-]*:)""",
    re.I,
)
_URL_WORD = re.compile(r"url\s*\(", re.I)
_CSS_URL = re.compile(r"""url\s*\(\s*(?:"([^"]*)"|'([^']*)'|([^"'()\s]*))\s*\)""", re.I)
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)


def _unescape_one(match: re.Match[str]) -> str:
    hexa, newline, char = match.groups()
    if hexa is not None:
        code = int(hexa, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    if newline is not None:
        return ""  # an escaped line break continues a string
    return char


def normalise(value: str) -> str | None:
    """``value`` as a CSS tokenizer sees it, or None when it does not settle."""
    for _ in range(_ROUNDS):
        out = _CONTROL.sub("", _ESCAPE.sub(_unescape_one, _COMMENT.sub("", value)))
        if out == value:
            return out
        value = out
    return None


def _rewrite_urls(decl: str, allow_remote: bool, cid_url: CidUrl | None) -> str | None:
    """``decl`` with each url() made safe, or None when one cannot be parsed."""
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        found += 1
        url = next((g for g in match.groups() if g is not None), "").strip()
        low = url.lower()
        if low.startswith("cid:"):
            local = cid_url(url[4:]) if cid_url else None
            return f"url('{local}')" if local and not set("'\"()\\") & set(local) else "none"
        if low.startswith("data:image/") or (allow_remote and _REMOTE.match(url)):
            return match.group(0)
        return "none"

    out = _CSS_URL.sub(replace, decl)
    if len(_URL_WORD.findall(decl)) != found:  # an url( our parser did not take: unsure
        return None
    return out


def declarations(text: str) -> list[str]:
    """``text`` split at the semicolons that end declarations (not those inside
    strings or parentheses, as in ``url(data:image/png;base64,...)``)."""
    if "(" not in text and '"' not in text and "'" not in text:
        return text.split(";")  # the common case, without the character loop
    out: list[str] = []
    depth, quote, begin = 0, "", 0
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            out.append(text[begin:index])
            begin = index + 1
    out.append(text[begin:])
    return out


def clean_style(value: str, allow_remote: bool = False, cid_url: CidUrl | None = None) -> str | None:
    """A safe version of the inline style ``value``, or None to drop the attribute."""
    text = normalise(value)
    if text is None:
        return None
    kept: list[str] = []
    for decl in declarations(text):
        if _SCRIPTY.search(decl):
            continue
        if not allow_remote and _FETCHING.search(_CSS_URL.sub(" ", decl)):  # url() is rewritten below
            continue
        safe = _rewrite_urls(decl, allow_remote, cid_url)
        if safe is not None:
            kept.append(safe)
    out = ";".join(kept)
    return out if out.strip() else None
