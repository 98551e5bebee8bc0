"""Snippet building: escaping, marking, choosing the window."""

from __future__ import annotations

from kustos.search.query.parser import parse_query
from kustos.search.snippets import Highlighter, fallback, highlight


def test_highlight_escapes_and_matches_umlauts_whole_words() -> None:
    text = "Grüße <b>MÜLLER</b> & Co, Müllerstraße"
    assert highlight(text, {"müller"}, ()) == "Grüße &lt;b&gt;<mark>MÜLLER</mark>&lt;/b&gt; &amp; Co, Müllerstraße"


def test_highlight_picks_densest_window() -> None:
    filler = " ".join(f"w{i}" for i in range(200))
    text = f"invoice {filler} invoice total invoice {filler}"
    snippet = highlight(text, {"invoice"}, ())
    assert snippet is not None
    assert snippet.count("<mark>invoice</mark>") == 2
    assert snippet.startswith("… ") and snippet.endswith(" …")


def test_highlight_prefix_and_case() -> None:
    assert highlight("Die RECHNUNGEN <sind> da", set(), ("rechnung",)) == (
        "Die <mark>RECHNUNGEN</mark> &lt;sind&gt; da"
    )
    assert highlight("nothing here", {"invoice"}, ()) is None


def test_highlighter_respects_fields_and_negation() -> None:
    h = Highlighter(parse_query("subject:lunch -canteen"))
    assert h.make("lunch canteen", "", "Lunch tomorrow?") == "<mark>Lunch</mark> tomorrow?"
    assert Highlighter(parse_query("from:bob")).make("  Hello\n  world ", "", "s") == "Hello world"


def test_fallback_is_escaped_and_bounded() -> None:
    assert fallback("<x>" * 100).startswith("&lt;x&gt;")
    assert len(fallback("a " * 500)) <= 200
