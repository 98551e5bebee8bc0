"""The tantivy schema and the Document -> tantivy.Document conversion.

Text is folded in Python (kustos.search.terms, shared with PostgreSQL): ``<field>_w``
holds the folded text, split by tantivy's ``default`` analyzer, which
kustos.search.analysis.tokenize mirrors (terms, phrases, prefixes); ``<field>_x`` holds
the stems and compound parts of the distinct words of subject, body and attachment text
as space-separated terms (``kustos_terms`` whitespace analyzer, no positions). ``from``/``subject``/``body``/``attachment`` keep the original text for
hits and snippets and index nothing (``kustos_stored``). Keyword fields use ``raw``
and receive folded values. ``folder`` keeps the original
case (fast field, for facets; ``mailbox``, ``year``, ``sender_domain`` and ``has_attachment``
are fast fields for facets too); ``folder_key``/``folder_rel`` are the folded full and
mailbox-relative paths used by ``folder:``.
"""

from __future__ import annotations

from datetime import datetime

import tantivy

from kustos.search.analysis import fold_keyword
from kustos.search.backends.folders import full_path, relative_path
from kustos.search.document import Document, index_date
from kustos.search.terms import STEMMED_FIELDS, extras_text, fold_text

#: Bumped whenever the schema changes; an index of another version must be rebuilt.
#: 2: tax_relevant; 3: analysis of kustos.search.terms (folding, stems, parts);
#: 4: mailbox and has_attachment are fast fields (facets by aggregation), date_weight.
SCHEMA_VERSION = 4

WORDS_TOKENIZER = "kustos_terms"
STORED_TOKENIZER = "kustos_stored"
_TEXT_FIELDS = ("from", "to", "cc", "bcc", "subject", "body", "attachment")
#: Query field -> the field of its folded words.
TEXT_FIELD_NAMES = {name: f"{name}_w" for name in _TEXT_FIELDS}
#: Query field -> the field of its stems and compound parts (stemmed fields only).
EXTRA_FIELD_NAMES = {name: f"{name}_x" for name in STEMMED_FIELDS}
ALL_TEXT_FIELDS = tuple(TEXT_FIELD_NAMES)


def open_index(schema: tantivy.Schema, path: str) -> tantivy.Index:
    """The tantivy index at ``path`` (created if missing) with kustos' analyzers registered
    (they live in the Index object, so every opening needs them)."""
    index = tantivy.Index(schema, path=path, reuse=True)
    index.register_tokenizer(WORDS_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    # The whole text as one token, then dropped: stored for display, nothing indexed.
    index.register_tokenizer(
        STORED_TOKENIZER,
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.remove_long(1)).build(),
    )
    return index


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("mailbox", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("customer", "folder_key", "folder_rel", "message_id", "sha256"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("folder", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("sender_domain", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("from", "subject", "body", "attachment"):
        sb.add_text_field(name, stored=True, tokenizer_name=STORED_TOKENIZER, index_option="basic")
    for name in TEXT_FIELD_NAMES.values():
        sb.add_text_field(name, stored=False, tokenizer_name="default", index_option="position")
    for name in EXTRA_FIELD_NAMES.values():
        sb.add_text_field(name, stored=False, tokenizer_name=WORDS_TOKENIZER, index_option="freq")
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    sb.add_integer_field("year", stored=False, indexed=True, fast=True)
    sb.add_float_field("date_weight", stored=False, indexed=False, fast=True)
    sb.add_unsigned_field("size", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("seq", stored=True, indexed=False, fast=True)
    sb.add_boolean_field("has_attachment", stored=True, indexed=True, fast=True)
    sb.add_boolean_field("restricted", stored=True, indexed=True, fast=False)
    sb.add_boolean_field("tax_relevant", stored=False, indexed=True, fast=False)
    return sb.build()


#: ``date_weight`` is the message time scaled by this: tantivy's ``weight_by_field`` multiplies a
#: score by log2(2 + weight) = about 60 + log2(seconds) ≈ 90, which orders equally scored hits newest
#: first (resolution a few hours) while changing unequal scores by ~2 % between 1990 and 2030.
_DATE_WEIGHT_SCALE = 2.0**60  # below f32 range: the weight is taken as a 32-bit float


def date_weight(date: datetime) -> float:
    return max(date.timestamp(), 1.0) * _DATE_WEIGHT_SCALE


def clamp_date(value: datetime) -> datetime:
    return index_date(value)


def to_tantivy(doc: Document) -> tantivy.Document:
    """The tantivy document for ``doc`` (caller validated it)."""
    out = tantivy.Document()
    out.add_text("id", doc.id)
    out.add_text("customer", doc.customer)
    for mailbox in doc.mailbox_keys:
        out.add_text("mailbox", mailbox)
    for folder in dict.fromkeys(doc.folders):
        out.add_text("folder", folder)
        out.add_text("folder_key", full_path(folder))
        out.add_text("folder_rel", relative_path(folder))
    out.add_text("sender_domain", fold_keyword(doc.sender_domain))
    if doc.message_id:
        out.add_text("message_id", doc.message_id.strip())
    if doc.sha256:
        out.add_text("sha256", doc.sha256.lower())
    # Stored for hits: the display form of the sender, subject, body, attachment text.
    out.add_text("from", doc.from_)
    out.add_text("subject", doc.subject)
    out.add_text("body", doc.body)
    if doc.attachment_names or doc.attachment_text:
        out.add_text("attachment", "\n".join([*doc.attachment_names, doc.attachment_text]))
    for name, text in doc.field_texts().items():
        folded = fold_text(text)
        out.add_text(TEXT_FIELD_NAMES[name], folded)
        if name in EXTRA_FIELD_NAMES:
            extras = extras_text(folded)
            if extras:
                out.add_text(EXTRA_FIELD_NAMES[name], extras)
    date = clamp_date(doc.date)
    out.add_date("date", date)
    out.add_integer("year", date.year)
    out.add_float("date_weight", date_weight(date))
    out.add_unsigned("size", doc.size)
    out.add_unsigned("seq", max(doc.seq, 0))
    out.add_boolean("has_attachment", doc.has_attachment)
    out.add_boolean("restricted", doc.restricted)
    out.add_boolean("tax_relevant", doc.tax_relevant)
    return out
