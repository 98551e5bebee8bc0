"""The facet benchmark runs end to end at a tiny size and its facets stay bounded."""

from __future__ import annotations

from kustos.search.bench import facets as bench
from kustos.search.types import FACET_LIMITS


def test_facet_bench_reports_every_query_and_bounded_facets(tmp_path, capsys) -> None:
    report = bench.main(["--docs", "400", "--rounds", "1", "--dir", str(tmp_path / "ix")])
    rows = report["queries_ms"]
    assert isinstance(rows, dict) and set(rows) == set(bench.QUERIES)
    assert rows["*"]["total"] == 400
    for row in rows.values():
        assert {"page", "page+facets", "best", "best+facets"} <= set(row)
        assert 0 < row["facet_values"] <= sum(FACET_LIMITS.values()) + 1
    assert capsys.readouterr().out.splitlines()[-1].startswith('{"backend": "tantivy", "docs": 400')


def test_generated_documents_are_deterministic() -> None:
    first = [(d.id, d.date, d.subject, d.sender_domain) for d in bench.documents(50)]
    assert first == [(d.id, d.date, d.subject, d.sender_domain) for d in bench.documents(50)]
    assert len({d.mailboxes[0] for d in bench.documents(2000)}) == 50
