"""Highlighted snippets for tantivy hits.

tantivy's SnippetGenerator only highlights terms it can see in the query, so prefix
words (``invoi*``) are first expanded to the matching indexed terms.
"""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from kustos.search.backends.tantivy_query import TantivyCompiler
from kustos.search.query.ast import Node, Text, positive_texts
from kustos.search.snippets import fallback, mark_byte_ranges

#: Fields tried in order; the first with a highlighted match gives the snippet.
SNIPPET_FIELDS = ("body", "attachment", "subject")
_PREFIX_EXPANSION = 30
_MAX_CHARS = 240


class TantivySnippets:
    """Snippet generators for one query on one searcher (create once per search)."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema, query: Node) -> None:
        self.generators: list[tuple[str, tantivy.SnippetGenerator]] = []
        texts = positive_texts(query)
        compiler = TantivyCompiler(schema, None)
        for field in SNIPPET_FIELDS:
            parts = [q for t in texts if t.field in (None, field) for q in _field_queries(searcher, schema, compiler, field, t)]
            if not parts:
                continue
            generator = tantivy.SnippetGenerator.create(
                searcher, Query.boolean_query([(Occur.Should, p) for p in parts]), schema, field
            )
            generator.set_max_num_chars(_MAX_CHARS)
            self.generators.append((field, generator))

    def snippet(self, doc: tantivy.Document) -> str:
        for _field, generator in self.generators:
            snip = generator.snippet_from_doc(doc)
            ranges = [(r.start, r.end) for r in snip.highlighted()]
            if ranges:
                return mark_byte_ranges(snip.fragment(), ranges)
        body = doc.get_first("body") or ""
        return fallback(body if body.strip() else (doc.get_first("subject") or ""))


def _field_queries(
    searcher: tantivy.Searcher, schema: tantivy.Schema, compiler: TantivyCompiler, field: str, text: Text
) -> list[Query]:
    if not (text.prefix and len(text.tokens) == 1):
        return [compiler.text_in(field, Text(text.field, text.tokens, prefix=False))]
    terms = searcher.terms_with_prefix(field, text.tokens[0], limit=_PREFIX_EXPANSION)
    return [Query.term_query(schema, field, term) for term, _count in terms]
