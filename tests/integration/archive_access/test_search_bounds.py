"""Every search bound answers 400 with a one-line reason on the API (problem details) and the
dashboard (the page with the reason), and a one-line error with exit 1 in the CLI; random input
never gives a 500."""

from __future__ import annotations

import html

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kustos.cli import registry
from kustos.search import limits
from tests.integration.archive_access.conftest import World

QUERY_BOUNDS = [
    ("a" * (limits.MAX_QUERY_LENGTH + 1), "query too long"),
    ("(" * (limits.MAX_DEPTH + 1) + "x" + ")" * (limits.MAX_DEPTH + 1), "nested too deeply"),
    ("x " * (limits.MAX_TOKENS + 1), "too many terms"),
    ("r*", "wildcard needs at least 2 characters"),
    (" ".join(f"beleg{i}*" for i in range(limits.MAX_WILDCARDS + 1)), "too many wildcards"),
    ("size:>5T", "is too large"),
    ("size:>" + "9" * 30, "invalid size"),
]


def _api(world: World, **params: str):
    return world.client("admin").get(f"/api/v1/customers/{world.customer.id}/archive/search", params,
                                     **world.api("admin"))


def _page(world: World, **params: str):
    return world.client("admin").get("/archive/search/", {"customer": world.customer.id, **params})


@pytest.mark.parametrize(("query", "reason"), QUERY_BOUNDS)
def test_query_bounds_answer_400_with_the_reason(world: World, query: str, reason: str):
    resp = _api(world, q=query)
    assert resp.status_code == 400 and resp["Content-Type"] == "application/problem+json"
    assert reason in resp.json()["detail"] and "\n" not in resp.json()["detail"]
    page = _page(world, q=query)
    assert page.status_code == 400 and reason in html.unescape(page.content.decode())


@pytest.mark.parametrize(("params", "reason"), [
    ({"offset": "1000000000000"}, f"offset must be at most {limits.MAX_OFFSET}"),
    ({"offset": "9" * 5000}, f"offset must be at most {limits.MAX_OFFSET}"),
    ({"offset": "1e9"}, "offset must be a whole number"),
    ({"offset": str(limits.MAX_OFFSET + 1)}, f"offset must be at most {limits.MAX_OFFSET}"),
    ({"offset": "-1"}, "offset must not be negative"),
    ({"limit": str(limits.MAX_LIMIT + 1)}, f"limit must be between 0 and {limits.MAX_LIMIT}"),
    ({"limit": "abc"}, "limit must be a whole number"),
    ({"sort": "random"}, "sort must be 'best', 'relevance' or 'date'"),
])
def test_api_paging_bounds_answer_400(world: World, params: dict[str, str], reason: str):
    resp = _api(world, **params)
    assert resp.status_code == 400 and resp.json()["detail"].startswith(reason), resp.content


@pytest.mark.parametrize("page", ["9" * 5000, "100000000000", str(limits.max_page(25) + 1), "0", "-2", "x"])
def test_dashboard_page_bounds_answer_400(world: World, page: str):
    resp = _page(world, page=page)
    assert resp.status_code == 400
    assert f"page must be a number between 1 and {limits.max_page(25)}" in resp.content.decode()


def test_deepest_allowed_page_and_offset_still_work(world: World):
    assert _page(world, page=str(limits.max_page(25))).status_code == 200
    resp = _api(world, offset=str(limits.MAX_OFFSET), limit=str(limits.MAX_LIMIT))
    assert resp.status_code == 200 and resp.json()["hits"] == [] and resp.json()["total"] == 13


@pytest.mark.parametrize(("argv", "reason"), [
    (["--offset", str(limits.MAX_OFFSET + 1), "x"], "offset must be at most"),
    (["--limit", "100000", "x"], "limit must be between"),
    (["(" * 30 + "x"], "nested too deeply"),
])
def test_cli_search_bounds_are_one_line_errors(world: World, capsys, argv: list[str], reason: str):
    assert registry.run(["search", "--customer", world.customer.id, *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kustos: error: invalid query: ") and reason in err and err.count("\n") == 1


_NUMBERS = st.one_of(st.integers(-(10**30), 10**30).map(str), st.text(max_size=12), st.integers(0, 30).map(str))
_QUERY = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(
    ["(", ")", '"', "NOT ", " OR ", "a*", "ab*", "size:", ">", "..", "date:", "2024-13", "mailbox:", "folder:",
     "-", " ", "beleg", "\x00", "ü", "9999999999999999"]), max_size=60).map("".join))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_QUERY, limit=_NUMBERS, offset=_NUMBERS, page=_NUMBERS)
def test_random_input_never_gives_500(world: World, q: str, limit: str, offset: str, page: str):
    api = _api(world, q=q, limit=limit, offset=offset)
    assert api.status_code in (200, 400), (q, limit, offset, api.content[:300])
    dashboard = _page(world, q=q, page=page)
    assert dashboard.status_code in (200, 400), (q, page)
