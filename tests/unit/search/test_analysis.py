"""The Python tokenizer must agree with the tantivy analyzer the index uses."""

from __future__ import annotations

import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.search.analysis import tokenize

TANTIVY_DEFAULT = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .build()
)


def test_examples() -> None:
    assert tokenize("Hans-Peter MÜLLER <hp@x.de>, Straße 3.5") == [
        "hans", "peter", "müller", "hp", "x", "de", "straße", "3", "5",
    ]
    assert tokenize("a" * 39 + " " + "b" * 40) == ["a" * 39]
    assert tokenize("foo_bar") == ["foo", "bar"]


# Letters, digits, punctuation and spaces from scripts mail is written in.
_TEXT = st.text(
    alphabet=st.characters(
        categories=("Lu", "Ll", "Lo", "Nd", "Po", "Pd", "Zs", "Sm"), max_codepoint=0x9FFF
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_matches_tantivy_default_analyzer(text: str) -> None:
    assert tokenize(text) == TANTIVY_DEFAULT.analyze(text)
