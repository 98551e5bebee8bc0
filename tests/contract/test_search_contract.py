"""One contract for every search backend: tantivy and PostgreSQL must answer alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kustos.search import PostgresIndex, QuerySyntaxError, SearchIndex, SearchRequest, TantivyIndex
from tests.contract.search_docs import ACME, ALICE, BOB, OTHER, documents, when
from tests.servers.postgres import fresh_database

VISIBLE = {"d1", "d2", "d3", "d5"}


BACKENDS = ["tantivy", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def loaded_backend(request: pytest.FixtureRequest, kind: str, tmp: Path) -> Iterator[SearchIndex]:
    backend: SearchIndex
    database: AbstractContextManager[str]
    if kind == "tantivy":
        backend = TantivyIndex(tmp / "index", heap_bytes=15_000_000)
        database = nullcontext("")
    else:
        database = fresh_database(request.getfixturevalue("postgres_dsn"))
    with database as dsn:
        if dsn:
            pg = PostgresIndex(dsn)
            pg.ensure_schema()
            backend = pg
        backend.add(documents())
        backend.commit()
        yield backend
        backend.close()


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchIndex]:
    """A loaded backend of its own, for tests that write."""
    with loaded_backend(request, request.param, tmp_path) as backend:
        yield backend


@pytest.fixture(scope="module", params=BACKENDS)
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """A loaded backend shared by the read-only tests of this module (must not be written)."""
    with loaded_backend(request, request.param, tmp_path_factory.mktemp("search")) as backend:
        yield backend


def ids(index: SearchIndex, query: str, **kw: object) -> set[str]:
    result = index.search(SearchRequest(query, kw.pop("customer", ACME), limit=100, **kw))  # type: ignore[arg-type]
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", VISIBLE),
        ("*", VISIBLE),
        ("rechnung", {"d1"}),
        ("Müller", {"d1", "d3"}),
        ("müller", {"d1", "d3"}),
        ("MÜLLER", {"d1", "d3"}),
        ('"die Rechnung"', {"d1"}),
        ('"Rechnung die"', set()),
        ("invoi*", {"d2"}),
        ("sa*", {"d3", "d5"}),
        ("subject:quart*", {"d2"}),
        ('"quarterly rep*"', {"d2"}),
        ("from:hans@mueller.de", {"d1"}),
        ("from:bob", {"d2", "d3"}),
        ('from:"Hans Müller"', {"d1"}),
        ("to:dave@example.org", {"d3"}),
        ("cc:carol", {"d2"}),
        ("bcc:secret", {"d3"}),
        ("subject:lunch", {"d3"}),
        ("subject:quarterly", {"d2"}),
        ("body:lunch", {"d3"}),
        ("body:rechnung", {"d1"}),
        ("subject:sehr", set()),
        ("attachment:invoice_Q1.pdf", {"d2"}),
        ("attachment:payable", {"d2"}),
        ("has:attachment", {"d2"}),
        ("folder:inbox", {"d1", "d2"}),
        ("folder:INBOX/Projekte", {"d2"}),
        ("folder:archive*", {"d5"}),
        ("folder:alice@acme.de/inbox", {"d1"}),
        ("mailbox:bob@acme.de", {"d2", "d3"}),
        ("mailbox:BOB@acme.de", {"d2", "d3"}),
        ("mailbox:bo*", {"d2", "d3"}),
        ("date:2024-01-01..2024-03-31", {"d1", "d2"}),
        ("date:2024", {"d1", "d2"}),
        ("date:2023-06", {"d3"}),
        ("date:2024-03-05", {"d1"}),
        ("date:..2023-12-31", {"d3", "d5"}),
        ("before:2023", {"d5"}),
        ("after:2024-02", {"d1"}),
        ("after:2024-01-15", {"d1", "d2"}),
        ("size:>1MB", {"d2"}),
        ("size:<1k", {"d3"}),
        ("size:10k..100k", {"d1", "d5"}),
        ("rechnung OR lunch", {"d1", "d3"}),
        ("müller -lunch", {"d1"}),
        ("müller NOT lunch", {"d1"}),
        ("müller AND lunch", {"d3"}),
        ("-sale", {"d1", "d2", "d3"}),
        ("(lunch OR sale) AND date:2023", {"d3"}),
        ("from:(hans OR news)", {"d1", "d5"}),
        ("sale OR rechnung quarterly", {"d5"}),
        ("!!!", set()),
    ],
)
def test_query_operators(shared: SearchIndex, query: str, expected: set[str]) -> None:
    assert ids(shared, query) == expected


def test_end_user_sees_only_own_mailboxes(shared: SearchIndex) -> None:
    assert ids(shared, "*", allowed_mailboxes=[ALICE]) == {"d1", "d2", "d5"}
    assert ids(shared, "*", allowed_mailboxes=[BOB.upper()]) == {"d2", "d3"}
    assert ids(shared, "*", allowed_mailboxes=[]) == set()
    # A relative folder means the user's own folder: d2 is in bob's INBOX, not alice's.
    assert ids(shared, "folder:inbox", allowed_mailboxes=[ALICE]) == {"d1"}
    assert ids(shared, "folder:alice@acme.de/inbox", allowed_mailboxes=[BOB]) == set()
    hit = shared.search(SearchRequest("quarterly", ACME, allowed_mailboxes=[BOB])).hits[0]
    assert (hit.mailboxes, hit.folders) == ([BOB], [f"{BOB}/INBOX"])


def test_other_customers_documents_never_appear(shared: SearchIndex) -> None:
    assert ids(shared, "rechnung", customer=OTHER) == {"o1"}
    assert ids(shared, "*", customer=OTHER, allowed_mailboxes=[ALICE]) == {"o1"}
    assert "o1" not in ids(shared, "müller", allowed_mailboxes=[ALICE])
    assert ids(shared, "*", customer="nobody") == set()


def test_restricted_hidden_unless_asked(shared: SearchIndex) -> None:
    assert ids(shared, "invoice") == {"d2"}
    assert ids(shared, "invoice", include_restricted=True) == {"d2", "d4"}
    hits = shared.search(SearchRequest("invoice", ACME, include_restricted=True)).hits
    assert {h.id: h.restricted for h in hits} == {"d2": False, "d4": True}
    assert shared.count(ACME) == 5


def test_sort_by_date_and_paging(shared: SearchIndex) -> None:
    pages = [shared.search(SearchRequest("*", ACME, limit=2, offset=o)) for o in (0, 2, 4)]
    assert [p.total for p in pages] == [4, 4, 4]
    assert [h.id for p in pages for h in p.hits] == ["d1", "d2", "d3", "d5"]
    assert pages[0].hits[0].date == when(2024, 3, 5)


def test_count_only_and_paging_past_the_end(shared: SearchIndex) -> None:
    for sort in ("date", "relevance"):
        counted = shared.search(SearchRequest("*", ACME, limit=0, sort=sort, facets=True))  # type: ignore[arg-type]
        assert (counted.total, counted.hits) == (4, [])
        assert counted.facets is not None and sum(counted.facets.year.values()) == 4
        beyond = shared.search(SearchRequest("*", ACME, offset=10, sort=sort))  # type: ignore[arg-type]
        assert (beyond.total, beyond.hits) == (4, [])


def test_concurrent_searches_from_threads(shared: SearchIndex) -> None:
    queries = ["müller", "invoi*", "*", "from:bob"]
    expected = {q: shared.search(SearchRequest(q, ACME, facets=True)).total for q in queries}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: (queries[i % 4], shared.search(
            SearchRequest(queries[i % 4], ACME, facets=True)).total), range(80)))
    assert all(total == expected[q] for q, total in answers)
    assert expected == {"müller": 2, "invoi*": 1, "*": 4, "from:bob": 2}


def test_sort_by_relevance(shared: SearchIndex) -> None:
    result = shared.search(SearchRequest("sale OR lunch", ACME, sort="relevance"))
    assert [h.id for h in result.hits] == ["d5", "d3"]  # "sale" three times beats one "lunch"
    assert result.hits[0].score >= result.hits[1].score > 0


def test_facets(shared: SearchIndex) -> None:
    facets = shared.search(SearchRequest("*", ACME, facets=True)).facets
    assert facets is not None
    assert facets.year == {2024: 2, 2023: 1, 2022: 1}
    assert facets.sender_domain == {"mueller.de": 1, "acme.de": 2, "shop.example": 1}
    assert facets.folder == {
        f"{ALICE}/INBOX": 1, f"{ALICE}/INBOX/Projekte": 1, f"{BOB}/INBOX": 1,
        f"{BOB}/Sent": 1, f"{ALICE}/Archive/2022": 1,
    }
    bob = shared.search(SearchRequest("*", ACME, allowed_mailboxes=[BOB], facets=True)).facets
    assert bob is not None and bob.folder == {f"{BOB}/INBOX": 1, f"{BOB}/Sent": 1}
    assert shared.search(SearchRequest("*", ACME)).facets is None


def test_snippets_highlight_and_escape(shared: SearchIndex) -> None:
    [hit] = shared.search(SearchRequest("rechnung", ACME)).hits
    assert "<mark>Rechnung</mark>" in hit.snippet and "4711" in hit.snippet
    [hit] = shared.search(SearchRequest("unsubscribe", ACME)).hits
    assert "<mark>Unsubscribe</mark>" in hit.snippet
    assert "&lt;b&gt;<mark>Unsubscribe</mark>&lt;/b&gt; here &amp; now, 5 &lt; 6" in hit.snippet
    [hit] = shared.search(SearchRequest("payable", ACME)).hits
    assert "<mark>payable</mark>" in hit.snippet
    [hit] = shared.search(SearchRequest("from:news", ACME)).hits
    assert hit.snippet.startswith("Sale sale sale") and "<mark>" not in hit.snippet


def test_hit_fields(shared: SearchIndex) -> None:
    [hit] = shared.search(SearchRequest("quarterly", ACME)).hits
    assert (hit.subject, hit.from_, hit.size, hit.has_attachment) == (
        "Quarterly invoice", "Bob <bob@acme.de>", 2_500_000, True,
    )
    assert sorted(hit.mailboxes) == [ALICE, BOB]


def test_request_date_filter(shared: SearchIndex) -> None:
    assert ids(shared, "*", date_from=when(2023, 1, 1), date_to=when(2024, 2, 1)) == {"d2", "d3"}


def test_upsert_with_merged_mailboxes(index: SearchIndex) -> None:
    lunch = next(d for d in documents() if d.id == "d3")
    merged = dataclasses.replace(lunch, mailboxes=[BOB, ALICE], folders=[*lunch.folders, f"{ALICE}/INBOX"])
    index.add([merged])
    index.commit()
    assert index.count(ACME) == 5
    assert ids(index, "lunch", allowed_mailboxes=[ALICE]) == {"d3"}
    assert ids(index, "folder:inbox", allowed_mailboxes=[ALICE]) == {"d1", "d3"}


def test_delete_and_clear(index: SearchIndex) -> None:
    index.delete(ACME, ["d1", "missing"])
    index.commit()
    assert ids(index, "rechnung") == set()
    assert index.count(ACME) == 4
    index.clear(OTHER)
    index.commit()
    assert index.count(OTHER) == 0
    assert index.count(ACME) == 4


def test_writes_invisible_until_commit(index: SearchIndex) -> None:
    index.delete(ACME, ["d5"])
    assert "d5" in ids(index, "sale")
    index.commit()
    assert "d5" not in ids(index, "sale")


def test_bulk_mode_commits_once_at_end(index: SearchIndex) -> None:
    docs = [dataclasses.replace(d, customer="bulk") for d in documents() if d.customer == ACME]
    with index.bulk():
        index.clear("bulk")
        index.add(docs[:2])
        index.commit()  # deferred inside bulk
        index.add(docs[2:])
    assert index.count("bulk") == 5
    assert ids(index, "rechnung OR lunch", customer="bulk") == {"d1", "d3"}


@pytest.mark.parametrize("query", ["(rechnung", "rechnung)", "a AND", '"open', "date:2024-13-01", "size:big", "has:wings"])
def test_syntax_errors(shared: SearchIndex, query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        shared.search(SearchRequest(query, ACME))


def test_bulk_mode_discards_writes_on_error(index: SearchIndex) -> None:
    docs = [dataclasses.replace(d, customer="bulk") for d in documents() if d.customer == ACME]
    with pytest.raises(RuntimeError), index.bulk():
        index.add(docs)
        raise RuntimeError("import failed")
    assert index.count("bulk") == 0
    index.add(docs[:1])
    index.commit()
    assert index.count("bulk") == 1


_WORDS = st.sampled_from(
    ["rechnung", "müller", "invoice", "lunch", "sale", "bob", "inbox", "2024", "q1", "sa*", "invoi*",
     '"die rechnung"', "from:bob", "to:alice", "subject:lunch", "body:sale", "attachment:pdf",
     "has:attachment", "folder:inbox", "folder:archive*", "mailbox:bob@acme.de", "date:2024",
     "before:2024-02", "after:2023", "size:>10k", "size:<1k", "AND", "OR", "NOT", "-", "(", ")"]
)


@pytest.fixture(scope="module")
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SearchIndex, SearchIndex]]:
    tmp = tmp_path_factory.mktemp("both")
    with loaded_backend(request, "tantivy", tmp) as left, loaded_backend(request, "postgres", tmp) as right:
        yield left, right


@pytest.mark.postgres
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(_WORDS, min_size=1, max_size=7), mailboxes=st.sampled_from([None, [ALICE], [BOB]]))
def test_backends_agree_on_generated_queries(
    both: tuple[SearchIndex, SearchIndex], words: list[str], mailboxes: list[str] | None
) -> None:
    query = " ".join(words)
    answers = []
    for backend in both:
        try:
            result = backend.search(SearchRequest(query, ACME, allowed_mailboxes=mailboxes, limit=50))
            answers.append(("ok", result.total, sorted(h.id for h in result.hits)))
        except QuerySyntaxError as error:
            answers.append(("error", error.position, []))
    assert answers[0] == answers[1], query
