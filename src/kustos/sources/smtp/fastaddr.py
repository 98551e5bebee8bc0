"""A fast path for the address in ``MAIL FROM:`` / ``RCPT TO:``.

aiosmtpd parses every address with the e-mail package's header parser (and defines
a ``typing.Protocol`` class on each call), ~0.1 ms of CPU per command, two commands
per message. Journal traffic almost always sends the plain form ``<local@domain>``
(dot-atoms only) with optional ESMTP parameters; :func:`simple_address` answers
those with one regular expression and returns ``None`` for everything else
(quoted local parts, comments, domain literals, source routes, non-ASCII, ``<>``),
which the caller then hands to aiosmtpd's full parser. For every input it accepts,
the result equals aiosmtpd's ``_getaddr`` (asserted in the tests).
"""

from __future__ import annotations

import re

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
_SIMPLE = re.compile(rf"<({_DOT_ATOM}@{_DOT_ATOM})>(?:[ \t]+([!#-'*-~][ !#-'*-~]*))?")


def simple_address(arg: str) -> tuple[str, str] | None:
    """``(address, parameters)`` for ``<dot-atom@dot-atom> [params]``, else ``None``."""
    match = _SIMPLE.fullmatch(arg)
    if match is None:
        return None
    rest = match.group(2) or ""
    if rest.endswith((" ", "\t")):
        return None  # let the full parser decide how trailing whitespace is folded
    return match.group(1), rest
