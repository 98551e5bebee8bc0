"""IMAP SEARCH criteria → the archive's search language, plus what only the session can answer
(message numbers, UIDs, flags).

``compile_keys`` turns the criteria into a tree of ``Query`` (text for the search index) and ``Local``
(a set of UIDs) nodes; ``evaluate`` combines them: adjacent index criteria go into ONE index query,
only mixed AND/OR/NOT over local sets are combined here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from kustos.imapd.protocol import Atom, ParseError, Token, parse_date, parse_seqset, parse_uidset, text

MAX_KEYS = 100


@dataclass
class Query:
    text: str


@dataclass
class Local:
    uids: frozenset[int]


@dataclass
class AndNode:
    children: list


@dataclass
class OrNode:
    left: object
    right: object


@dataclass
class NotNode:
    child: object


_TEXT_KEYS = {"SUBJECT": "subject", "FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc", "BODY": "body", "TEXT": None}
_HEADER_FIELDS = {"subject", "from", "to", "cc", "bcc"}
_ALWAYS = {"ALL", "OLD", "UNDELETED"}  # nothing is \Recent or \Deleted in the archive
_NEVER = {"DELETED", "NEW", "RECENT"}
# Answered from each message's archived flags: key -> (flag, whether it must be set).
_FLAG_KEYS = {"SEEN": ("\\seen", True), "UNSEEN": ("\\seen", False), "ANSWERED": ("\\answered", True),
              "UNANSWERED": ("\\answered", False), "FLAGGED": ("\\flagged", True),
              "UNFLAGGED": ("\\flagged", False), "DRAFT": ("\\draft", True), "UNDRAFT": ("\\draft", False)}
_DEFAULT_FLAGS = frozenset({"\\seen"})


def _phrase(value: str) -> str:
    cleaned = " ".join(value.replace('"', " ").replace("\\", " ").split())
    if not cleaned:
        raise ParseError("empty search string")
    return f'"{cleaned}"'


class _Compiler:
    def __init__(self, tokens: list[Token], uids: list[int], flags: Mapping[int, Iterable[str]] | None = None,
                 dates: Mapping[int, date] | None = None) -> None:
        self.tokens, self.pos, self.uids, self.count = tokens, 0, uids, 0
        self.flags = flags or {}
        self.dates = dates

    def _internal(self, name: str, day: date) -> Local:
        """SINCE/BEFORE/ON compare the INTERNALDATE's day (RFC 3501 6.4.4), known per message."""
        assert self.dates is not None
        test = {"SINCE": lambda d: d >= day, "BEFORE": lambda d: d < day, "ON": lambda d: d == day}[name]
        return Local(frozenset(u for u in self.uids if u in self.dates and test(self.dates[u])))

    def _flagged(self, flag: str, wanted: bool) -> Local:
        def has(uid: int) -> bool:
            own = self.flags.get(uid)
            return flag in ({f.lower() for f in own} if own is not None else _DEFAULT_FLAGS)
        return Local(frozenset(u for u in self.uids if has(u) == wanted))

    def take(self) -> Token:
        if self.pos >= len(self.tokens):
            raise ParseError("search criteria end too early")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def all(self) -> AndNode:
        children = []
        while self.pos < len(self.tokens):
            children.append(self.key())
        if not children:
            raise ParseError("no search criteria")
        return AndNode(children)

    def key(self) -> object:
        self.count += 1
        if self.count > MAX_KEYS:
            raise ParseError(f"too many search criteria (at most {MAX_KEYS})")
        token = self.take()
        if isinstance(token, list):
            return _Compiler(token, self.uids, self.flags, self.dates).all() if token else AndNode([])
        name = text(token).upper()
        if name in _TEXT_KEYS:
            field = _TEXT_KEYS[name]
            value = _phrase(text(self.take()))
            return Query(f"{field}:{value}" if field else value)
        if name in ("SINCE", "BEFORE", "ON") and self.dates is not None:
            return self._internal(name, parse_date(self.take()))
        # The SENT* keys (and, without per-message dates, the plain ones) ask the index's Date header.
        if name in ("SINCE", "SENTSINCE"):
            return Query(f"after:{parse_date(self.take()).isoformat()}")
        if name in ("BEFORE", "SENTBEFORE"):
            return Query(f"before:{parse_date(self.take()).isoformat()}")
        if name in ("ON", "SENTON"):
            return Query(f"date:{parse_date(self.take()).isoformat()}")
        if name in ("LARGER", "SMALLER"):
            size = text(self.take())
            if not size.isdigit() or len(size) > 12:
                raise ParseError(f"{name} needs a number")
            return Query(f"size:>{size}" if name == "LARGER" else f"size:<{size}")
        if name == "HEADER":
            field, value = text(self.take()).lower(), text(self.take())
            if field not in _HEADER_FIELDS:
                raise ParseError(f"HEADER {field[:40]} cannot be searched (only Subject, From, To, Cc, Bcc)")
            return Query(f"{field}:{_phrase(value)}")
        if name == "NOT":
            return NotNode(self.key())
        if name == "OR":
            return OrNode(self.key(), self.key())
        if name == "UID":
            return Local(frozenset(parse_uidset(text(self.take()), self.uids)))
        if name in _ALWAYS:
            return Local(frozenset(self.uids))
        if name in _NEVER:
            return Local(frozenset())
        if name in _FLAG_KEYS:
            return self._flagged(*_FLAG_KEYS[name])
        if name in ("KEYWORD", "UNKEYWORD"):
            return self._flagged(text(self.take()).lower(), name == "KEYWORD")
        if name == "CHARSET" and self.pos == 1:
            charset = text(self.take()).upper()
            if charset not in ("UTF-8", "US-ASCII"):
                raise ParseError(f"[BADCHARSET (UTF-8 US-ASCII)] charset {charset[:20]} is not supported")
            return Local(frozenset(self.uids))
        if isinstance(token, Atom) and token[:1].isdigit() or token == "*":
            seqs = parse_seqset(str(token), len(self.uids))
            return Local(frozenset(self.uids[n - 1] for n in seqs))
        raise ParseError(f"unknown search key {name[:30]}")


def compile_keys(tokens: list[Token], uids: list[int], flags: Mapping[int, Iterable[str]] | None = None,
                 dates: Mapping[int, date] | None = None) -> AndNode:
    """The criteria tree; ``uids`` are the selected folder's UIDs in message-number order, ``flags``
    each UID's archived flags (a UID without an entry counts as ``\\Seen`` only), ``dates`` each UID's
    INTERNALDATE day for SINCE/BEFORE/ON (without it those ask the index, like SENTSINCE etc.)."""
    return _Compiler(tokens, uids, flags, dates).all()


def evaluate(node: object, uids: list[int], run: Callable[[str], set[int]]) -> set[int]:
    """UIDs matching ``node``; ``run(query)`` asks the search index (restricted to the folder)."""
    compiled = _simplify(node)
    if isinstance(compiled, Query):
        return run(compiled.text)
    return _sets(compiled, set(uids), run)


def _simplify(node: object) -> object:
    """Fold index-only subtrees into one Query."""
    if isinstance(node, AndNode):
        children = [_simplify(c) for c in node.children]
        if not children:
            return Query("*")
        queries = [c for c in children if isinstance(c, Query)]
        if len(queries) == len(children):
            return Query(" ".join(f"({q.text})" for q in queries))
        return AndNode(children)
    if isinstance(node, OrNode):
        left, right = _simplify(node.left), _simplify(node.right)
        if isinstance(left, Query) and isinstance(right, Query):
            return Query(f"({left.text}) OR ({right.text})")
        return OrNode(left, right)
    if isinstance(node, NotNode):
        child = _simplify(node.child)
        if isinstance(child, Query):
            return Query(f"* NOT ({child.text})")
        return NotNode(child)
    return node


def _sets(node: object, everything: set[int], run: Callable[[str], set[int]]) -> set[int]:
    if isinstance(node, Query):
        return run(node.text) & everything
    if isinstance(node, Local):
        return set(node.uids) & everything
    if isinstance(node, AndNode):
        result = set(everything)
        for child in node.children:
            result &= _sets(child, everything, run)
        return result
    if isinstance(node, OrNode):
        return _sets(node.left, everything, run) | _sets(node.right, everything, run)
    if isinstance(node, NotNode):
        return everything - _sets(node.child, everything, run)
    raise TypeError(node)
