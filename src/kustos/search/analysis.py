"""Text analysis shared by every backend and by the query parser.

The one rule both index and query sides follow: split on every character that is not
a Unicode letter or digit, lower-case each token, drop tokens of 40 UTF-8 bytes or
more. This mirrors tantivy's ``default`` analyzer (simple tokenizer, remove_long(40),
lowercase) so terms computed here match what tantivy indexed; the PostgreSQL backend
builds its tsvectors from these same tokens, so both backends agree on what a word is.
Since analysis version 2 both backends index what kustos.search.terms makes of these
tokens (folded forms, stems, compound parts), computed in Python for both.
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
    # Tokenize and drop long tokens before lower-casing, as tantivy does: "İ".lower() adds
    # a combining mark (and bytes).
    return [
        t.lower() for t in _TOKEN.findall(text)
        if len(t) < 10 or len(t.encode("utf-8")) < MAX_TOKEN_BYTES
    ]


def fold_keyword(value: str) -> str:
    """Normal form of a keyword value (mailbox address, folder path): stripped, lower-case."""
    return value.strip().lower()
