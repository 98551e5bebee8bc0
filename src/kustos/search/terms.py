"""What a word is indexed and searched as: folded form, stems, compound parts.

Both backends and the query side use these functions, so a word matches the same
documents on tantivy and PostgreSQL. Three kinds of index term per word of
``tokenize`` (kustos.search.analysis):

* the **folded form** (``fold``): lower-case, German umlauts and their spelt-out forms
  unified the way Lucene's GermanNormalizationFilter does it (``ä``/``ae`` -> ``a``,
  ``ö``/``oe`` -> ``o``, ``ü``/``ue`` -> ``u`` except after a vowel or ``q``, so "queue"
  stays "queue"; ``ß`` -> ``ss``), other diacritics removed (``é`` -> ``e``). "Müller",
  "Mueller" and "Muller" all become ``muller``. Phrases, prefixes and field queries
  (``from:``, ``to:``) match folded forms at their positions.
* **stems** (``stems``): the German and the English Snowball stem of the folded form
  (both: mail mixes the languages, and a wrong-language stem costs little), written
  with the marker ``STEM`` so they never collide with folded forms. "Rechnungen" and
  "Rechnung" share ``~rechnung``, "invoices" and "invoice" share ``~invoic``.
* **compound parts** (``parts``): German compounds put the head word last
  ("Strom|rechnung", "Miet|vertrag"). Without a dictionary, every suffix of a long
  word (at least ``PART_MIN_WORD`` letters) that keeps ``PART_MIN_HEAD`` letters in
  front and is at least ``PART_MIN`` letters long is indexed with the marker ``PART``.
  as its German stem with the marker ``PART``; a query word matches a part equal to its
  own German stem ("Stromrechnungen" -> ``^rechnung``, found by "Rechnung"). Suffixes
  that are no word ("^omrechnung") cost index terms but are never asked for.

Stems and parts are indexed for subject, body and attachment text only; they rank
below the folded form, so exact words come first. ``VERSION`` names this analysis:
an index built by another version must be rebuilt, never mixed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import snowballstemmer

from kustos.search.analysis import tokenize

#: Bumped whenever what a word is indexed as changes (indexes of another version are rebuilt).
VERSION = 2  # 1: lower-case tokens only; 2: folding, stems, compound parts

#: Query fields whose text is also indexed as stems and compound parts.
STEMMED_FIELDS = ("subject", "body", "attachment")
STEM = "~"
PART = "^"
PART_MIN_WORD = 8
PART_MIN_HEAD = 3
PART_MIN = 4
#: Query stems shorter than this do not search compound parts ("tag" would find "Tagung").
PART_MIN_QUERY = 4
_STEM_MIN = 3

_GERMAN = snowballstemmer.stemmer("german")
_STEMMERS = (_GERMAN, snowballstemmer.stemmer("english"))
_UMLAUTS = {"ä": "a", "ö": "o", "ü": "u"}


def _strip_marks(char: str) -> str:
    """``char`` without combining diacritics ("é" -> "e"); unchanged when it has none."""
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base or char


@lru_cache(maxsize=200_000)
def fold(token: str) -> str:
    """The canonical form of a lower-case token (see module docstring)."""
    if token.isascii() and "e" not in token:
        return token
    out: list[str] = []
    state = "N"  # N: other, V: vowel context (keep a following e), U: a/o/u that an e may follow
    for char in token:
        if char in "ao":
            state = "U"
            out.append(char)
        elif char == "u":
            state = "U" if state == "N" else "V"
            out.append(char)
        elif char == "e":
            if state != "U":
                out.append(char)
            state = "V"
        elif char in "iqy":
            state = "V"
            out.append(char)
        elif char in _UMLAUTS:
            state = "V"
            out.append(_UMLAUTS[char])
        elif char == "ß":
            state = "N"
            out.append("ss")
        else:
            state = "N"
            out.append(char if char.isascii() else _strip_marks(char))
    return "".join(out) or token


@lru_cache(maxsize=200_000)
def stems(folded: str) -> tuple[str, ...]:
    """The distinct German and English stems of a folded word; none for words with
    digits or shorter than three letters."""
    if len(folded) < _STEM_MIN or not folded.isalpha():
        return ()
    return tuple(dict.fromkeys(s.stemWord(folded) for s in _STEMMERS))


@lru_cache(maxsize=200_000)
def extras(folded: str) -> tuple[str, ...]:
    """The stem and compound-part index terms of a folded word (markers included)."""
    found = [STEM + s for s in stems(folded)]
    if len(folded) >= PART_MIN_WORD and folded.isalpha():
        heads = (_GERMAN.stemWord(folded[i:]) for i in range(PART_MIN_HEAD, len(folded) - PART_MIN + 1))
        found += dict.fromkeys(PART + h for h in heads if len(h) >= PART_MIN)
    return tuple(found)


def query_stems(folded: str) -> list[str]:
    """Stem terms a query word matches exactly (markers included)."""
    return [STEM + s for s in stems(folded)]


def query_parts(folded: str) -> list[str]:
    """Compound-part terms a query word matches (marker included): its German stem."""
    if len(folded) < _STEM_MIN or not folded.isalpha():
        return []
    stem = _GERMAN.stemWord(folded)
    return [PART + stem] if len(stem) >= PART_MIN_QUERY else []


def folded_tokens(text: str) -> list[str]:
    """The folded forms of ``text``'s tokens, in order (one per position)."""
    return [fold(t) for t in tokenize(text)]


def extra_terms(folded: list[str]) -> list[str]:
    """The stem and part terms of a folded token sequence, in order."""
    return [term for f in folded for term in extras(f)]
