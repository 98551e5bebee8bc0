"""Default ranking ("best"): relevance times recency, on tantivy and PostgreSQL alike; and the
facets (mailbox, folder, year, has attachment, sender domain) both backends compute."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kustos.search import Document, InvalidRequest, PostgresIndex, SearchIndex, SearchRequest, TantivyIndex
from kustos.search.ranking import recency_factor
from tests.servers.postgres import fresh_database

C = "acme"
ANNA, BEN = "anna@acme.de", "ben@acme.de"
NOW = datetime.now(UTC)
FILLER = " ".join(f"wort{i}" for i in range(120))


def doc(doc_id: str, age_days: int, subject: str, body: str, mailbox: str = ANNA, **kw: object) -> Document:
    domain = str(kw.pop("domain", "lieferant.de"))
    return Document(
        id=doc_id, customer=C, date=NOW - timedelta(days=age_days), mailboxes=[mailbox],
        folders=[f"{mailbox}/INBOX"], from_=f"Sender <s@{domain}>", from_addr=[f"s@{domain}"],
        sender_domain=domain, subject=subject, body=body, size=1000, seq=1, **kw,  # type: ignore[arg-type]
    )


def documents() -> list[Document]:
    return [
        # an equally relevant pair, five days and five years old
        doc("heiz-new", 5, "Heizung", "Die Heizung im Lager ist defekt."),
        doc("heiz-old", 5 * 365, "Heizung", "Die Heizung im Lager ist defekt."),
        # a much more relevant old message and a barely relevant new one
        doc("wart-old", 6 * 365, "Wartung Wartung Wartung", "Wartung: Termin zur Wartung, Wartungsvertrag, Wartung.",
            mailbox=BEN, domain="service.de"),
        doc("wart-new", 2, "Newsletter", f"{FILLER} wartung {FILLER}", domain="news.example",
            attachment_names=["flyer.pdf"], has_attachment=True),
        doc("misc", 400, "Urlaub", "Urlaubsplanung", mailbox=BEN, attachment_names=["plan.xlsx"],
            has_attachment=True, domain="service.de"),
    ]


@contextmanager
def loaded(request: pytest.FixtureRequest, kind: str, tmp: Path) -> Iterator[SearchIndex]:
    database: AbstractContextManager[str] = (
        nullcontext("") if kind == "tantivy" else fresh_database(request.getfixturevalue("postgres_dsn"))
    )
    with database as dsn:
        backend: SearchIndex
        if dsn:
            pg = PostgresIndex(dsn)
            pg.ensure_schema()
            backend = pg
        else:
            backend = TantivyIndex(tmp / "index", heap_bytes=15_000_000)
        backend.add(documents())
        backend.commit()
        yield backend
        backend.close()


@pytest.fixture(scope="module", params=["tantivy", pytest.param("postgres", marks=pytest.mark.postgres)])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    with loaded(request, request.param, tmp_path_factory.mktemp("ranking")) as backend:
        yield backend


def order(index: SearchIndex, query: str, sort: str = "best", **kw: object) -> list[str]:
    request = SearchRequest(query, C, limit=50, sort=sort, **kw)  # type: ignore[arg-type]
    return [h.id for h in index.search(request).hits]


def test_best_prefers_the_recent_of_equally_relevant(index: SearchIndex) -> None:
    assert order(index, "heizung") == ["heiz-new", "heiz-old"]
    hits = index.search(SearchRequest("heizung", C, sort="best")).hits
    # same text: the scores differ exactly by the recency factors (2.0 for 5 days, 1.0 for 5 years)
    assert hits[0].score == pytest.approx(2.0 * hits[1].score, rel=1e-2)
    assert order(index, "heizung", sort="date") == ["heiz-new", "heiz-old"]


def test_much_more_relevant_old_message_stays_above_a_barely_relevant_new_one(index: SearchIndex) -> None:
    assert order(index, "wartung") == ["wart-old", "wart-new"]
    assert order(index, "wartung", sort="best") == ["wart-old", "wart-new"]
    assert order(index, "wartung", sort="relevance") == ["wart-old", "wart-new"]
    assert order(index, "wartung", sort="date") == ["wart-new", "wart-old"]
    best = index.search(SearchRequest("wartung", C, sort="best")).hits
    plain = index.search(SearchRequest("wartung", C, sort="relevance")).hits
    assert best[0].score / best[1].score == pytest.approx(plain[0].score / (plain[1].score * 2.0), rel=1e-2)


def test_query_without_text_terms_lists_newest_first(index: SearchIndex) -> None:
    newest_first = ["wart-new", "heiz-new", "misc", "heiz-old", "wart-old"]
    for sort in ("best", "relevance", "date"):
        result = index.search(SearchRequest("*", C, limit=50, sort=sort))  # type: ignore[arg-type]
        assert [h.id for h in result.hits] == newest_first
        assert all(h.score == 0.0 for h in result.hits)
    assert order(index, "has:attachment") == ["wart-new", "misc"]


def test_paging_follows_the_best_order(index: SearchIndex) -> None:
    pages = [index.search(SearchRequest("heizung OR wartung", C, limit=1, offset=o, sort="best")) for o in range(4)]
    assert [p.total for p in pages] == [4, 4, 4, 4]
    assert [h.id for p in pages for h in p.hits] == order(index, "heizung OR wartung")


def test_unknown_sort_is_refused(index: SearchIndex) -> None:
    with pytest.raises(InvalidRequest, match="sort must be 'best', 'relevance' or 'date', not 'newest'"):
        index.search(SearchRequest("x", C, sort="newest"))  # type: ignore[arg-type]


def test_facets_mailbox_folder_year_attachment_domain(index: SearchIndex) -> None:
    facets = index.search(SearchRequest("*", C, facets=True, limit=0)).facets
    assert facets is not None
    assert facets.mailbox == {ANNA: 3, BEN: 2}
    assert facets.folder == {f"{ANNA}/INBOX": 3, f"{BEN}/INBOX": 2}
    assert facets.has_attachment == 2
    assert sum(facets.year.values()) == 5
    assert facets.year[(NOW - timedelta(days=5)).year] >= 1
    assert facets.sender_domain == {"lieferant.de": 2, "service.de": 2, "news.example": 1}
    ben = index.search(SearchRequest("*", C, allowed_mailboxes=[BEN], facets=True)).facets
    assert ben is not None
    assert (ben.mailbox, ben.has_attachment) == ({BEN: 2}, 1)
    narrowed = index.search(SearchRequest("wartung", C, facets=True)).facets
    assert narrowed is not None
    assert (narrowed.mailbox, narrowed.has_attachment) == ({ANNA: 1, BEN: 1}, 1)


def test_recency_factor_steps() -> None:
    assert [recency_factor(NOW - timedelta(days=d), NOW) for d in (0, 29, 60, 200, 700, 2000)] == [
        2.0, 2.0, 1.75, 1.5, 1.2, 1.0,
    ]
