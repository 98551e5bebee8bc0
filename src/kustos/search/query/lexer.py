"""Split query text into tokens for the parser.

Token kinds: ``LPAREN`` ``RPAREN`` ``AND`` ``OR`` ``NOT`` (the upper-case words, and ``-``
directly before a word or parenthesis), ``WORD`` (bare or ``field:value``), ``PHRASE``
(double-quoted, optionally ``field:"..."``) and ``GROUP`` (``field:`` directly followed
by ``(``; the ``LPAREN`` follows as its own token). Lower-case ``and``/``or``/``not`` are
ordinary words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kustos.search.query.errors import QuerySyntaxError

_FIELD = re.compile(r"([A-Za-z_]+):")
_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR"}
_WORD_END = set(' \t\r\n()"')


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    position: int
    field: str | None = None
    raw: str = ""  # the source text of the token, for unknown fields treated as words


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The content of the quoted string opening at ``start`` and the index after it."""
    end = text.find('"', start + 1)
    if end < 0:
        raise QuerySyntaxError("unterminated quote", start)
    return text[start + 1 : end], end + 1


def _read_word(text: str, start: int) -> int:
    i = start
    while i < len(text) and text[i] not in _WORD_END:
        i += 1
    return i


def tokenize_query(text: str) -> list[Token]:
    """The tokens of ``text``; raises QuerySyntaxError for an unterminated quote."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(Token("LPAREN", "(", i))
            i += 1
        elif ch == ")":
            tokens.append(Token("RPAREN", ")", i))
            i += 1
        elif ch == '"':
            value, end = _read_quoted(text, i)
            tokens.append(Token("PHRASE", value, i, raw=text[i:end]))
            i = end
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != "-":
            tokens.append(Token("NOT", "-", i))
            i += 1
        else:
            i = _read_field_or_word(text, i, tokens)
    return tokens


def _read_field_or_word(text: str, start: int, tokens: list[Token]) -> int:
    match = _FIELD.match(text, start)
    if match:
        field = match.group(1).lower()
        after = match.end()
        if after < len(text) and text[after] == '"':
            value, end = _read_quoted(text, after)
            tokens.append(Token("PHRASE", value, start, field, text[start:end]))
            return end
        if after < len(text) and text[after] == "(":
            tokens.append(Token("GROUP", field, start, field, text[start:after]))
            return after
        end = _read_word(text, after)
        tokens.append(Token("WORD", text[after:end], start, field, text[start:end]))
        return end
    end = _read_word(text, start)
    word = text[start:end]
    kind = _OPERATORS.get(word, "WORD")
    tokens.append(Token(kind, word, start, None, word))
    return end
