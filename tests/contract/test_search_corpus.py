"""Both backends agree on real mail: same totals for the benchmark queries on corpus messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from kustos.search import PostgresIndex, SearchRequest, TantivyIndex
from kustos.search.bench.corpus import raw_messages, to_document
from kustos.search.bench.queries import BENCH_QUERIES

PER_ARCHIVE = 800
CUSTOMER = "corpus"


@pytest.mark.corpus
@pytest.mark.postgres
@pytest.mark.slow
def test_backends_agree_on_bulk_corpus(corpus: Path, postgres_db: str, tmp_path: Path) -> None:
    docs = [to_document(CUSTOMER, "list@corpus.example", name, raw, i)
            for i, (name, raw) in enumerate(raw_messages(corpus, per_archive=PER_ARCHIVE), 1)]
    assert len(docs) == 2 * PER_ARCHIVE
    tantivy_index = TantivyIndex(tmp_path)
    postgres_index = PostgresIndex(postgres_db)
    postgres_index.ensure_schema()
    for index in (tantivy_index, postgres_index):
        with index.bulk():
            index.add(docs)
        assert index.count(CUSTOMER) == len({d.id for d in docs})
    matched = 0
    for query in [*BENCH_QUERIES, "", "müller OR zürich", '"mailing list"', "-usrp"]:
        request = SearchRequest(query, CUSTOMER, limit=5, facets=True)
        left, right = tantivy_index.search(request), postgres_index.search(request)
        assert left.total == right.total, query
        assert [h.id for h in left.hits] == [h.id for h in right.hits] or _same_dates(left, right), query
        assert left.facets is not None and right.facets is not None
        assert (left.facets.year, left.facets.folder) == (right.facets.year, right.facets.folder), query
        matched += left.total > 0
    assert matched >= 15  # the query set is meaningful on this data
    tantivy_index.close()
    postgres_index.close()


def _same_dates(left: object, right: object) -> bool:
    # Equal dates may tie-break differently (tantivy: doc order; PostgreSQL: id).
    return [h.date for h in left.hits] == [h.date for h in right.hits]  # type: ignore[attr-defined]
