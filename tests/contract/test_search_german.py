"""Search finds what German users type, alike on tantivy and PostgreSQL: umlaut spellings,
German and English stemming, compound parts; phrases stay exact; outdated indexes refuse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from kustos.search import (
    IndexOutdated,
    IndexRebuilding,
    PostgresIndex,
    SearchIndex,
    SearchRequest,
    TantivyIndex,
)
from kustos.search.backends.postgres_schema import TABLE
from kustos.search.document import Document
from tests.servers.postgres import fresh_database

C = "kunde"
BOX = "info@kunde.de"
BACKENDS = ["tantivy", pytest.param("postgres", marks=pytest.mark.postgres)]


def doc(doc_id: str, day: int, subject: str = "", body: str = "", from_: str = "Büro <buero@kunde.de>",
        attachment: str = "") -> Document:
    return Document(
        id=doc_id, customer=C, date=datetime(2024, 5, day, 9, 0, tzinfo=UTC), mailboxes=[BOX],
        folders=[f"{BOX}/INBOX"], from_=from_, from_addr=[from_.split("<")[-1].rstrip(">")], to=[BOX],
        subject=subject, body=body, attachment_text=attachment, has_attachment=bool(attachment),
        sender_domain="kunde.de", seq=day,
    )


def documents() -> list[Document]:
    return [
        doc("g1", 1, "Ihre Stromrechnung", "Sehr geehrter Herr Müller, anbei die Stromrechnung für Mai."),
        doc("g2", 2, "Quartal", "Die Rechnungen für das Quartal liegen bei.", from_="Jürgen Mueller <jm@bau.de>"),
        doc("g3", 3, "Call", "Muller called about the invoices and the orders."),
        doc("g4", 4, "Mietverträge 2024", "Der Mietvertrag ist gekündigt. Bitte zur Straße kommen."),
        doc("g5", 5, "invoice", "See attachment.", attachment="The invoice is attached"),
        doc("g6", 6, "Jobs", "Please process the queue today."),
        doc("g7", 7, "Bezahlt", "Wir haben die Rechnung bezahlt."),
        doc("g8", 8, "Adresse", "Strasse und Hausnummer fehlen."),
        doc("g9", 9, "Kaffee", "Treffen im Café am Markt, danach Quelle prüfen."),
    ]


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    if request.param == "tantivy":
        backend: SearchIndex = TantivyIndex(tmp_path_factory.mktemp("german") / "index", heap_bytes=15_000_000)
        backend.add(documents())
        backend.commit()
        yield backend
        backend.close()
        return
    with fresh_database(request.getfixturevalue("postgres_dsn")) as dsn:
        pg = PostgresIndex(dsn)
        pg.ensure_schema()
        pg.add(documents())
        pg.commit()
        yield pg
        pg.close()


def ids(index: SearchIndex, query: str) -> set[str]:
    result = index.search(SearchRequest(query, C, limit=50))
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Umlaut spellings find each other, both directions, any case.
        ("Müller", {"g1", "g2", "g3"}),
        ("Mueller", {"g1", "g2", "g3"}),
        ("Muller", {"g1", "g2", "g3"}),
        ("MÜLLER", {"g1", "g2", "g3"}),
        ("from:Muller", {"g2"}),
        ("from:Müller", {"g2"}),
        ("from:Jurgen", {"g2"}),
        ("from:Juergen", {"g2"}),
        ("gekuendigt", {"g4"}),
        ("gekundigt", {"g4"}),
        ("Straße", {"g4", "g8"}),
        ("strasse", {"g4", "g8"}),
        ("STRASSE", {"g4", "g8"}),
        ("cafe", {"g9"}),
        ("Café", {"g9"}),
        # "ue" after q is no umlaut: queue/Quelle keep their spelling and still find themselves.
        ("queue", {"g6"}),
        ("Quelle", {"g9"}),
        ("pruefen", {"g9"}),
        # Stemming, German and English, both directions.
        ("Rechnungen", {"g1", "g2", "g7"}),
        ("invoice", {"g3", "g5"}),
        ("invoices", {"g3", "g5"}),
        ("attachment:invoices", {"g5"}),
        ("subject:invoices", {"g5"}),
        ("Mietvertrag", {"g4"}),
        ("Mietvertraege", {"g4"}),
        # Compound parts: the head word finds the compound.
        ("Rechnung", {"g1", "g2", "g7"}),
        ("Vertrag", {"g4"}),
        ("Verträge", {"g4"}),
        ("subject:Rechnung", {"g1"}),
        ("subject:Vertrag", {"g4"}),
        ("body:Vertrag", {"g4"}),
        # Phrases match exact (folded) word sequences, not stems.
        ('"die Rechnung"', {"g7"}),
        ('"die Rechnungen"', {"g2"}),
        ('"Herr Mueller"', {"g1"}),
        ('"Rechnung die"', set()),
        # Prefixes work on folded words.
        ("Müll*", {"g1", "g2", "g3"}),
        ("strass*", {"g4", "g8"}),
        # The rest of the language is unchanged.
        ("Rechnung -Strom*", {"g2", "g7"}),
        ("Rechnung AND Quartal", {"g2"}),
        ("invoice OR queue", {"g3", "g5", "g6"}),
        ("folder:INBOX Vertrag", {"g4"}),
        ("to:info@kunde.de queue", {"g6"}),
        ("nonsenseword", set()),
    ],
)
def test_german_queries(index: SearchIndex, query: str, expected: set[str]) -> None:
    assert ids(index, query) == expected


def test_exact_word_ranks_above_stem_and_compound(index: SearchIndex) -> None:
    hits = index.search(SearchRequest("Rechnung", C, limit=10, sort="relevance")).hits
    assert [h.id for h in hits][0] == "g7"  # "Rechnung" as written; g2 (Rechnungen) and g1 (Stromrechnung) follow
    assert {h.id for h in hits[1:]} == {"g1", "g2"}


def test_snippet_marks_the_spelling_in_the_text(index: SearchIndex) -> None:
    hits = index.search(SearchRequest("Mueller", C, limit=10)).hits
    snippets = {h.id: h.snippet for h in hits}
    assert "<mark>Müller</mark>" in snippets["g1"]
    assert "<mark>Muller</mark>" in snippets["g3"]


@pytest.mark.postgres
def test_postgres_rows_of_an_older_analysis_refuse_searches(request: pytest.FixtureRequest) -> None:
    with fresh_database(request.getfixturevalue("postgres_dsn")) as dsn:
        pg = PostgresIndex(dsn)
        pg.ensure_schema()
        pg.add(documents())
        pg.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"UPDATE {TABLE} SET analysis = 1 WHERE id = 'g3'")
        with pytest.raises(IndexOutdated, match="rebuild"):
            pg.search(SearchRequest("Muller", C))
        # A rebuild (clear, index again) makes the customer searchable again.
        pg.clear(C)
        pg.add(documents())
        pg.commit()
        assert {h.id for h in pg.search(SearchRequest("Muller", C, limit=50)).hits} == {"g1", "g2", "g3"}
        pg.close()


def test_tantivy_index_of_an_older_schema_refuses_searches(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path, heap_bytes=15_000_000)
    index.add(documents())
    index.commit()
    index.close()
    (tmp_path / C / "kustos-schema-version").write_text("2")
    with pytest.raises(IndexOutdated, match="rebuild"):
        TantivyIndex(tmp_path).search(SearchRequest("Muller", C))


@pytest.mark.parametrize("kind", BACKENDS)
def test_an_index_being_rebuilt_says_so_to_every_process(request: pytest.FixtureRequest, kind: str,
                                                         tmp_path: Path) -> None:
    with ExitStack() as stack:
        if kind == "tantivy":
            first: SearchIndex = TantivyIndex(tmp_path, heap_bytes=15_000_000)
            other: SearchIndex = TantivyIndex(tmp_path)  # as another process would open it
        else:
            dsn = stack.enter_context(fresh_database(request.getfixturevalue("postgres_dsn")))
            first, other = PostgresIndex(dsn), PostgresIndex(dsn)
            first.ensure_schema()
        stack.callback(first.close)
        stack.callback(other.close)
        first.add(documents())
        first.commit()
        with first.rebuilding(C, "2026-12-06T17:00:00+00:00"):
            for index in (first, other):
                with pytest.raises(IndexRebuilding, match=r"being rebuilt \(since 2026-12-06T17:00:00"):
                    index.search(SearchRequest("Muller", C))
            # Other customers are not affected.
            assert other.search(SearchRequest("Muller", "someone-else")).total == 0
        assert ids(other, "Muller") == {"g1", "g2", "g3"}
