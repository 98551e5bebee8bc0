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
  (both: mail mixes the languages, and a wrong-language stem costs little; the Python
  stemmer decides for both backends, PostgreSQL's own configurations are not used), written
  with the marker ``STEM`` so they never collide with folded forms. "Rechnungen" and
  "Rechnung" share ``~rechnung``, "invoices" and "invoice" share ``~invoic``.
* **compound parts** (``parts``): German compounds put the head word last
  ("Strom|rechnung", "Miet|vertrag"). Without a dictionary, every suffix of a long
  word (``PART_MIN_WORD`` to ``PART_MAX_WORD`` letters) that keeps ``PART_MIN_HEAD``
  letters in front and is at least ``PART_MIN`` letters long is indexed as its German
  stem with the marker ``PART``; a query word matches a part equal to its own German
  stem ("Stromrechnungen" -> ``^rechnung``, found by "Rechnung"). Suffixes
  that are no word ("^omrechnung") cost index terms but are never asked for.

Stems and parts are indexed for subject, body and attachment text only; they rank
below the folded form, so exact words come first. ``VERSION`` names this analysis:
an index built by another version must be rebuilt, never mixed.

Cost, measured on 5,000 messages of the bench corpus (50 MB of mail, 2 cores): tantivy
index 13.8 -> 16.4 MB (+19 %: stems +12 %, compound parts +7 %); PostgreSQL table with
indexes 52.6 -> 91.7 MB (+74 %: stems +50 %, parts +24 %; every term is also in
``tsv_all`` and its GIN index); analysis adds about 0.3 ms CPU per message at indexing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from kustos.search.analysis import MAX_TOKEN_BYTES, tokenize

#: Bumped whenever what a word is indexed as changes (indexes of another version are rebuilt).
VERSION = 2  # 1: lower-case tokens only; 2: folding, stems, compound parts

#: Query fields whose text is also indexed as stems and compound parts.
STEMMED_FIELDS = ("subject", "body", "attachment")
STEM = "~"
PART = "^"
PART_MIN_WORD = 8
PART_MAX_WORD = 30
PART_MIN_HEAD = 3
PART_MIN = 4
#: Query stems shorter than this do not search compound parts ("tag" would find "Tagung").
PART_MIN_QUERY = 4
_STEM_MIN = 3

_WORD = re.compile(r"[^\W_]+")  # kustos.search.analysis' token pattern
_GERMAN = snowballstemmer.stemmer("german")
_STEMMERS = (_GERMAN, snowballstemmer.stemmer("english"))
for _stemmer in _STEMMERS:
    # PyStemmer (used by snowballstemmer when installed) caches 10,000 words; our own caches
    # below keep the words that repeat, and its cache halved the speed on new words.
    if hasattr(_stemmer, "maxCacheSize"):
        _stemmer.maxCacheSize = 0

# Lucene's GermanNormalizationFilter as one substitution on lower-case text: an "e" after
# "a"/"o" goes, and after a "u" that does not follow a vowel or "q" ("mueller", not "queue").
# (A plain pattern with the context checked per match is 6x faster than look-behinds.)
_DIGRAPH = re.compile(r"ae|oe|ue")
_KEEPS_UE = frozenset("aeiouyqäöü")


def _digraph(match: re.Match[str]) -> str:
    text, start = match.string, match.start()
    if text[start] == "u" and start > 0 and text[start - 1] in _KEEPS_UE:
        return "ue"
    return text[start]


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics -> their base letters ("é" -> "e", "ä" -> "a"), "ß" -> "ss"."""
    table = {ord("ß"): "ss"}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if base and base != char:
            table[code] = base
    return table


_FOLD = _fold_table()
_FOLDABLE = re.compile("[" + "".join(map(chr, sorted(_FOLD))) + "]")


def _fold_char(match: re.Match[str]) -> str:
    return _FOLD[ord(match.group())]


# Bytes that separate ASCII words (everything but letters and digits), for splitting
# ASCII text at C speed; the same words as kustos.search.analysis' token pattern.
_ASCII_SEPARATORS = bytes(b if chr(b).isalnum() else 32 for b in range(128)) + b" " * 128


def fold_text(text: str) -> str:
    """``text`` lower-cased and folded (see module docstring); its tokens are the folded
    forms of ``text``'s tokens. Two C-speed passes over the whole text."""
    low = _DIGRAPH.sub(_digraph, text.lower())
    if low.isascii():
        return low
    # "İ".lower() is "i" + U+0307 (a mark, which would split the word); other marks stay
    # where they are, so the words of the text are still the words of its tokens.
    # str.translate looks up every character; only the few foldable ones are touched here.
    return _FOLDABLE.sub(_fold_char, low).replace("i\u0307", "i")


# Cache sizes are a memory budget: the words that repeat (Zipf) hit, the long tail of an archive's
# vocabulary (names, codes, hashes) must not grow the indexing process with every message
# (200,000-entry caches grew an import of 100,000 messages by about 3.5 KB per message).
@lru_cache(maxsize=50_000)
def fold(token: str) -> str:
    """The canonical form of a lower-case token (see module docstring)."""
    return fold_text(token)


@lru_cache(maxsize=50_000)
def stems(folded: str) -> tuple[str, ...]:
    """The distinct German and English stems of a folded word; none for words with
    digits or shorter than three letters."""
    if len(folded) < _STEM_MIN or not folded.isalpha():
        return ()
    return tuple(dict.fromkeys(s.stemWord(folded) for s in _STEMMERS))


@lru_cache(maxsize=4_096)  # indexing caches the joined form in _EXTRAS; this serves queries
def extras(folded: str) -> tuple[str, ...]:
    """The stem and compound-part index terms of a folded word (markers included). Words
    longer than PART_MAX_WORD (hashes, encoded junk, rare giant compounds) get no parts."""
    found = [STEM + s for s in stems(folded)]
    if PART_MIN_WORD <= len(folded) <= PART_MAX_WORD and folded.isalpha():
        heads = _GERMAN.stemWords([folded[i:] for i in range(PART_MIN_HEAD, len(folded) - PART_MIN + 1)])
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


#: folded word -> its extras joined by spaces (plain dict lookups: the hot path of indexing;
#: emptied when it reaches _EXTRAS_MAX entries).
_EXTRAS: dict[str, str] = {}
_EXTRAS_MAX = 50_000


def _extras_text(word: str) -> str:
    if len(_EXTRAS) >= _EXTRAS_MAX:
        _EXTRAS.clear()
    long = len(word) >= 10 and len(word.encode("utf-8")) >= MAX_TOKEN_BYTES  # no word (tokenize drops it)
    found = _EXTRAS[word] = "" if long else " ".join(extras(word))
    return found


def folded_tokens(text: str) -> list[str]:
    """The folded forms of ``text``'s tokens, in order (one per position)."""
    return tokenize(fold_text(text))


def extras_text(folded: str) -> str:
    """The extras of the distinct words of a folded text (``fold_text``), joined by spaces:
    what tantivy's ``_x`` fields and PostgreSQL's vectors hold besides the words."""
    if folded.isascii():
        words = {w.decode() for w in set(folded.encode().translate(_ASCII_SEPARATORS).split())}
    else:
        words = set(_WORD.findall(folded))
    found = list(map(_EXTRAS.get, words))
    if None in found:
        found = [x if x is not None else _extras_text(w) for w, x in zip(words, found, strict=True)]
    return " ".join(filter(None, found))
