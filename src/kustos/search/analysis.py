"""Text analysis shared by every backend and by the query parser.

The one rule both index and query sides follow: split on every character that is not
a Unicode letter or digit, lower-case each token, drop tokens of 40 UTF-8 bytes or
more. This mirrors tantivy's ``default`` analyzer (simple tokenizer, remove_long(40),
lowercase) so terms computed here match what tantivy indexed; the PostgreSQL backend
builds its tsvectors from these same tokens, so both backends agree on what a word is.
Case-insensitivity ("Müller" finds "müller") comes from lower-casing; umlauts are not
folded to ASCII (so "Muller" does not find "Müller").
"""

from __future__ import annotations

import re

# [^\W_] = word characters minus underscore = Unicode letters and digits.
_TOKEN = re.compile(r"[^\W_]+")

#: tantivy's RemoveLongFilter limit (tokens of this many bytes or more are dropped).
MAX_TOKEN_BYTES = 40


def tokenize(text: str) -> list[str]:
    """The lower-cased index tokens of ``text``, in order (letters and digits only)."""
    if text.isascii():
        # Lower-casing first is equivalent for ASCII and lets one C call do the work.
        return [t for t in _TOKEN.findall(text.lower()) if len(t) < MAX_TOKEN_BYTES]
    # Tokenize before lower-casing, as tantivy does: "İ".lower() adds a combining mark.
    return [
        low for t in _TOKEN.findall(text)
        if len(low := t.lower()) < 10 or len(low.encode("utf-8")) < MAX_TOKEN_BYTES
    ]


def fold_keyword(value: str) -> str:
    """Normal form of a keyword value (mailbox address, folder path): stripped, lower-case."""
    return value.strip().lower()
