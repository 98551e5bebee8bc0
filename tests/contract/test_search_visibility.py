"""Both backends filter tax-relevant-only inside the index query, and ``mailbox:`` on a mailbox
the requester may not see matches nothing (the same answer as for an unknown address)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from kustos.search import SearchIndex, SearchRequest
from tests.contract.search_docs import ACME, ALICE, BOB, documents
from tests.contract.test_search_contract import BACKENDS, loaded_backend

TAX = {"d2", "d3"}  # d2: alice + bob, d3: bob only


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    with loaded_backend(request, request.param, Path(tmp_path_factory.mktemp("vis"))) as idx:
        idx.add([dataclasses.replace(d, tax_relevant=d.id in TAX) for d in documents()])
        idx.commit()
        yield idx


def ids(index: SearchIndex, query: str, **kw: object) -> set[str]:
    return {h.id for h in index.search(SearchRequest(query, ACME, limit=100, **kw)).hits}  # type: ignore[arg-type]


def test_tax_relevant_only_is_part_of_the_index_query(backend: SearchIndex) -> None:
    assert ids(backend, "*", tax_relevant_only=True) == TAX
    assert backend.search(SearchRequest("*", ACME, tax_relevant_only=True)).total == 2
    assert ids(backend, "*", tax_relevant_only=True, allowed_mailboxes=[ALICE]) == {"d2"}
    assert ids(backend, "lunch", tax_relevant_only=True) == {"d3"}
    assert ids(backend, "rechnung", tax_relevant_only=True) == set()
    assert "d1" in ids(backend, "*")  # unflagged mail is found without the limit


@pytest.mark.parametrize("query", [f"mailbox:{BOB}", "mailbox:nobody@acme.de", "mailbox:bo*", "mailbox:zz*"])
def test_mailbox_outside_the_allowed_ones_matches_nothing(backend: SearchIndex, query: str) -> None:
    # d2 is in alice's AND bob's mailbox: alice must not learn that bob has it too.
    result = backend.search(SearchRequest(query, ACME, allowed_mailboxes=[ALICE], facets=True))
    assert (result.total, result.hits) == (0, [])


def test_mailbox_filter_still_works_inside_the_allowed_ones(backend: SearchIndex) -> None:
    assert ids(backend, f"mailbox:{ALICE}", allowed_mailboxes=[ALICE]) == {"d1", "d2", "d5"}
    assert ids(backend, "mailbox:ali*", allowed_mailboxes=[ALICE]) == {"d1", "d2", "d5"}
    assert ids(backend, f"mailbox:{BOB}") == {"d2", "d3"}  # an administrator sees every mailbox
