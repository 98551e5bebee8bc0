"""The tantivy schema and the Document -> tantivy.Document conversion.

Text fields use tantivy's ``default`` analyzer, which kustos.search.analysis mirrors;
keyword fields use ``raw`` and receive folded values. ``folder`` keeps the original
case (fast field, for facets); ``folder_key``/``folder_rel`` are the folded full and
mailbox-relative paths used by ``folder:``.
"""

from __future__ import annotations

from datetime import datetime

import tantivy

from kustos.search.analysis import fold_keyword
from kustos.search.backends.folders import full_path, relative_path
from kustos.search.document import Document, index_date

#: Bumped whenever the schema changes; an index of another version must be rebuilt.
SCHEMA_VERSION = 2  # 2: tax_relevant

TEXT_FIELD_NAMES = {
    "from": "from",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "subject": "subject",
    "body": "body",
    "attachment": "attachment",
}
ALL_TEXT_FIELDS = tuple(TEXT_FIELD_NAMES.values())


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in ("id", "mailbox"):
        sb.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("customer", "folder_key", "folder_rel", "message_id", "sha256"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("folder", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("sender_domain", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("from", "subject", "body", "attachment"):
        sb.add_text_field(name, stored=True)
    for name in ("to", "cc", "bcc"):
        sb.add_text_field(name, stored=False)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    sb.add_integer_field("year", stored=False, indexed=True, fast=True)
    sb.add_unsigned_field("size", stored=True, indexed=True, fast=True)
    sb.add_unsigned_field("seq", stored=True, indexed=False, fast=True)
    sb.add_boolean_field("has_attachment", stored=True, indexed=True, fast=False)
    sb.add_boolean_field("restricted", stored=True, indexed=True, fast=False)
    sb.add_boolean_field("tax_relevant", stored=False, indexed=True, fast=False)
    return sb.build()


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
    # First "from" value is the display form returned in hits; the second adds bare addresses.
    out.add_text("from", doc.from_)
    if doc.from_addr:
        out.add_text("from", " ".join(doc.from_addr))
    for name, values in (("to", doc.to), ("cc", doc.cc), ("bcc", doc.bcc)):
        if values:
            out.add_text(name, "\n".join(values))
    out.add_text("subject", doc.subject)
    out.add_text("body", doc.body)
    if doc.attachment_names or doc.attachment_text:
        out.add_text("attachment", "\n".join([*doc.attachment_names, doc.attachment_text]))
    date = clamp_date(doc.date)
    out.add_date("date", date)
    out.add_integer("year", date.year)
    out.add_unsigned("size", doc.size)
    out.add_unsigned("seq", max(doc.seq, 0))
    out.add_boolean("has_attachment", doc.has_attachment)
    out.add_boolean("restricted", doc.restricted)
    out.add_boolean("tax_relevant", doc.tax_relevant)
    return out
