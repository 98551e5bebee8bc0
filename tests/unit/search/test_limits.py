"""Every bound of search.limits is enforced by the parser / SearchRequest with a one-line reason,
and random query text or paging numbers only ever give those errors (never a crash)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kustos.search import (
    Document,
    InvalidRequest,
    QuerySyntaxError,
    SearchRequest,
    TantivyIndex,
    limits,
    parse_query,
)


@pytest.mark.parametrize(("query", "reason"), [
    ("a" * (limits.MAX_QUERY_LENGTH + 1), "query too long"),
    ("(" * (limits.MAX_DEPTH + 1) + "x" + ")" * (limits.MAX_DEPTH + 1), "nested too deeply"),
    ("NOT " * (limits.MAX_DEPTH + 1) + "x", "nested too deeply"),
    ("x " * (limits.MAX_TOKENS + 1), "too many terms"),
    ("a*", "at least 2 characters before '*'"),
    ("folder:I*", "at least 2 characters before '*'"),
    (" ".join(f"w{i}x*" for i in range(limits.MAX_WILDCARDS + 1)), "too many wildcards"),
    ("size:>2T", "too large"),
    ("size:" + "9" * 40, "invalid size"),
    ('""MAILBOX:\x00', "contains a NUL character"),  # PostgreSQL refused it with a 500 (found by hypothesis)
])
def test_each_query_bound_is_a_syntax_error_naming_it(query: str, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as exc:
        parse_query(query)
    assert reason in str(exc.value) and "\n" not in str(exc.value)


def test_queries_at_the_bounds_still_parse() -> None:
    parse_query("a" * limits.MAX_QUERY_LENGTH)
    parse_query("(" * limits.MAX_DEPTH + "x" + ")" * limits.MAX_DEPTH)
    parse_query(" ".join(f"w{i}x*" for i in range(limits.MAX_WILDCARDS)))
    parse_query("ab* size:<1T")


@pytest.mark.parametrize(("limit", "offset", "reason"), [
    (limits.MAX_LIMIT + 1, 0, "limit must be between"),
    (-1, 0, "limit must be between"),
    (20, -1, "offset must not be negative"),
    (20, limits.MAX_OFFSET + 1, "offset must be at most"),
    (20, 10**15, "offset must be at most"),
])
def test_request_paging_bounds(limit: int, offset: int, reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        SearchRequest("x", "c1", limit=limit, offset=offset).validate()
    SearchRequest("x", "c1", limit=limits.MAX_LIMIT, offset=limits.MAX_OFFSET).validate()


@pytest.mark.parametrize(("raw", "reason"), [
    ("0", "page must be a number between 1 and"), ("-3", "page must be"), ("x", "page must be"),
    ("9" * 5000, "page must be"), (str(limits.max_page(25) + 1), "page must be"),
])
def test_page_numbers(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        limits.parse_page(raw, 25)
    assert limits.parse_page("", 25) == 1 and limits.parse_page(str(limits.max_page(25)), 25) == limits.max_page(25)


@pytest.mark.parametrize(("limit", "offset", "reason"), [
    ("x", "0", "limit must be a whole number"), ("20", "9" * 5000, "offset must be at most"),
    ("20", "-" + "9" * 5000, "offset must not be negative"), ("20", "1e9", "offset must be a whole number"),
    ("20", "", "offset must be a whole number"), ("٣", "0", "limit must be a whole number"),
])
def test_paging_text_input(limit: str, offset: str, reason: str) -> None:
    with pytest.raises(InvalidRequest, match=reason):
        limits.parse_paging(limit, offset)
    assert limits.parse_paging(" 7 ", "10") == (7, 10)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    idx = TantivyIndex(Path(tmp_path_factory.mktemp("limits")), heap_bytes=15_000_000)
    idx.add([Document(id=f"m{i}", customer="c1", date=datetime(2024, 1, 1 + i, tzinfo=UTC), mailboxes=["a@x.de"],
                      folders=["a@x.de/INBOX"], subject=f"invoice {i}", body="quarterly report", size=100 * i)
             for i in range(5)])
    idx.commit()
    yield idx
    idx.close()


_QUERY_ALPHABET = st.sampled_from(list('ab*()"-: \t\n') + ["NOT ", " OR ", "AND ", "size:", "date:", "folder:",
                                                             "mailbox:", "from:", "has:", "..", ">", "<", "1",
                                                             "9999999999999999999", "2024-02-30", "ü", "\x00"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(st.text(max_size=300), st.lists(_QUERY_ALPHABET, max_size=120).map("".join)),
       limit=st.integers(min_value=-(10**20), max_value=10**20),
       offset=st.one_of(st.integers(min_value=-(10**20), max_value=10**20), st.integers(0, 50)))
def test_random_queries_and_numbers_only_give_clean_errors(index: TantivyIndex, query: str, limit: int,
                                                           offset: int) -> None:
    try:
        result = index.search(SearchRequest(query, "c1", limit=limit, offset=offset))
    except (QuerySyntaxError, InvalidRequest) as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert 0 <= limit <= limits.MAX_LIMIT and 0 <= offset <= limits.MAX_OFFSET
        assert len(result.hits) <= limit
