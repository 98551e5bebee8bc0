"""PostgreSQL table for search, and Document -> row conversion.

Terms come from kustos.search.terms (the same as tantivy's), and tsvectors are
written as literals, so PostgreSQL's own parser (which treats e-mail addresses, URLs
and hyphenated words specially) and its stemmers never decide what a word is. Folded
words have positions (phrases); stems and compound parts of subject, body and
attachment text have none (they match, and rank below words as written). ``tsv_all`` is the
concatenation of the per-field vectors, kept by PostgreSQL as a generated column.
``analysis`` records the kustos.search.terms VERSION a row was analysed with: rows of
another version make the customer's searches fail until the index is rebuilt.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kustos.search.analysis import fold_keyword, tokenize
from kustos.search.backends.folders import full_path, relative_path
from kustos.search.document import Document, index_date
from kustos.search.terms import STEMMED_FIELDS, VERSION, extras_text, fold_text

TABLE = "kustos_search_doc"
#: Customers whose rows are being rebuilt (SearchIndex.set_rebuilding).
REBUILDING_TABLE = "kustos_search_rebuilding"
TSV_FIELDS = ("from", "to", "cc", "bcc", "subject", "body", "attachment")

DDL = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    customer text NOT NULL,
    id text NOT NULL,
    mailboxes text[] NOT NULL,
    folders text[] NOT NULL,
    folder_keys text[] NOT NULL,
    folder_rels text[] NOT NULL,
    from_ text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    attachment text NOT NULL,
    date timestamptz NOT NULL,
    year integer NOT NULL,
    size bigint NOT NULL,
    seq bigint NOT NULL,
    has_attachment boolean NOT NULL,
    restricted boolean NOT NULL,
    tax_relevant boolean NOT NULL DEFAULT false,
    sender_domain text NOT NULL,
    message_id text NOT NULL,
    sha256 text NOT NULL,
    analysis smallint NOT NULL DEFAULT 1,
    {", ".join(f"tsv_{f} tsvector NOT NULL" for f in TSV_FIELDS)},
    tsv_all tsvector GENERATED ALWAYS AS ({" || ".join(f"tsv_{f}" for f in TSV_FIELDS)}) STORED,
    PRIMARY KEY (customer, id)
)""",
    # Tables created before the tax-relevant flag existed gain the column (false = not flagged).
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS tax_relevant boolean NOT NULL DEFAULT false",
    # Rows written before analysis versions existed are version 1 (lower-case words only).
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS analysis smallint NOT NULL DEFAULT 1",
    # Tiny: only rows awaiting a rebuild; makes "is this customer's index current?" cheap.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_stale_{VERSION} ON {TABLE} (customer) "
    f"WHERE analysis <> {VERSION}",
    f"CREATE TABLE IF NOT EXISTS {REBUILDING_TABLE} (customer text PRIMARY KEY, since text NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_date ON {TABLE} (customer, date DESC)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_mailboxes ON {TABLE} USING gin (mailboxes)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_folders ON {TABLE} USING gin (folder_keys)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_folder_rels ON {TABLE} USING gin (folder_rels)",
    # One GIN index only (per-field ones cost ~40% of the write speed): a field query is
    # "tsv_all @@ q AND tsv_<field> @@ q", the index narrows, the row check decides.
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv_all ON {TABLE} USING gin (tsv_all)",
]

COLUMNS = (
    "customer", "id", "mailboxes", "folders", "folder_keys", "folder_rels", "from_", "subject",
    "body", "attachment", "date", "year", "size", "seq", "has_attachment", "restricted", "tax_relevant",
    "sender_domain", "message_id", "sha256", "analysis", *(f"tsv_{f}" for f in TSV_FIELDS),
)
_TSV_CASTS = {f"tsv_{f}" for f in TSV_FIELDS}
UPSERT = (
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ("
    + ", ".join("%s::tsvector" if c in _TSV_CASTS else "%s" for c in COLUMNS)
    + ") ON CONFLICT (customer, id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])
)

# PostgreSQL limits: positions 1..16383, 256 positions per lexeme, 1 MB per tsvector
# (tsv_all holds all fields, so the byte budget is shared by the fields of one row).
_MAX_POS = 16383
_MAX_POSITIONS = 256
_TSV_BUDGET = 900_000


def tsvector_literal(text: str, budget: list[int], stemmed: bool = False) -> str:
    """A tsvector literal of ``text``'s folded words with positions (plus the stems and
    compound parts of its distinct words when ``stemmed``); ``budget[0]`` is the remaining
    byte allowance for the row, decreased by what this vector uses. Terms are letters and
    digits after an optional marker (``~``, ``^``), so they never need quoting beyond the
    enclosing quotes."""
    folded = fold_text(text)
    words = tokenize(folded)
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for index, word in enumerate(words[:_MAX_POS], start=1):
        positions[word].append(index)
    for word in words[_MAX_POS:]:
        if word not in positions:
            positions[word].append(_MAX_POS)
    parts = []
    left = budget[0]
    for term, pos in positions.items():
        if len(pos) > _MAX_POSITIONS:
            pos = pos[:_MAX_POSITIONS]
        left -= len(term) * 4 + 8 + 2 * len(pos)  # upper bound: 4 bytes per character
        if left < 0:
            break
        parts.append(f"'{term}':{','.join(map(str, pos))}")
    if stemmed and left > 0:
        # Stems and parts without positions: they match but do not rank (ts_rank_cd needs
        # positions), so a word as written ranks above its other forms.
        for term in extras_text(folded).split():
            left -= len(term) * 4 + 8
            if left < 0:
                break
            parts.append(f"'{term}'")
    budget[0] = max(left, 0)
    return " ".join(parts)


def row(doc: Document) -> tuple[Any, ...]:
    """Values for COLUMNS (caller validated ``doc``)."""
    folders = list(dict.fromkeys(doc.folders))
    date = index_date(doc.date)
    budget = [_TSV_BUDGET]
    texts = doc.field_texts()
    return (
        doc.customer, doc.id, doc.mailbox_keys, folders,
        sorted({full_path(f) for f in folders}), sorted({relative_path(f) for f in folders}),
        _clean(doc.from_), _clean(doc.subject), _clean(doc.body), _clean(texts["attachment"]),
        date, date.year, doc.size, doc.seq, doc.has_attachment, doc.restricted, doc.tax_relevant,
        fold_keyword(doc.sender_domain), doc.message_id.strip(), doc.sha256.lower(), VERSION,
        *(tsvector_literal(texts[f], budget, f in STEMMED_FIELDS) for f in TSV_FIELDS),
    )


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL characters; mail bodies sometimes do.
    return text.replace("\x00", "")
