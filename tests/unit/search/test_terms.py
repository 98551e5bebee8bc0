"""What words are indexed and searched as: folding, stems, compound parts."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kustos.search.analysis import tokenize
from kustos.search.terms import (
    PART,
    STEM,
    extras,
    extras_text,
    fold,
    folded_tokens,
    query_parts,
    query_stems,
    stems,
)


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("müller", "muller"), ("mueller", "muller"), ("muller", "muller"),
        ("straße", "strasse"), ("strasse", "strasse"),
        ("gekündigt", "gekundigt"), ("gekuendigt", "gekundigt"),
        ("häuser", "hauser"), ("haeuser", "hauser"), ("öl", "ol"), ("oel", "ol"),
        ("café", "cafe"), ("señor", "senor"),
        # "ue" after a vowel or q is no umlaut.
        ("queue", "queue"), ("quelle", "quelle"), ("feuer", "feuer"), ("bauer", "bauer"), ("neue", "neue"),
        ("2024", "2024"),
    ],
)
def test_fold(word: str, folded: str) -> None:
    assert fold(word) == folded


def test_folded_tokens_of_a_text() -> None:
    assert folded_tokens("Herr MÜLLER, Straße 5; Jürgen Mueller & die QUEUE") == [
        "herr", "muller", "strasse", "5", "jurgen", "muller", "die", "queue",
    ]


_TEXT = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Po", "Zs"), max_codepoint=0x24F)
    | st.sampled_from(list("äöüÄÖÜßeEuUaAoOqQ ")),
    max_size=19,  # tokens stay under the 40-byte limit, before and after folding
)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_folding_the_text_folds_each_token(text: str) -> None:
    """The index folds whole texts, the query side single words: both must agree."""
    text = unicodedata.normalize("NFC", text)
    assert folded_tokens(text) == [fold(t) for t in tokenize(text)]


def test_stems_german_and_english() -> None:
    assert "rechnung" in stems(fold("rechnungen")) and "rechnung" in stems(fold("rechnung"))
    assert "invoic" in stems("invoices") and "invoic" in stems("invoice")
    assert "vertrag" in stems(fold("verträge"))
    assert stems("2024") == () and stems("ab") == ()
    assert query_stems("rechnungen") == [STEM + "rechnung", STEM + "rechnungen"]


def test_compound_parts_are_found_by_the_head_word() -> None:
    assert set(query_parts("rechnung")) <= set(extras(fold("stromrechnungen")))
    assert set(query_parts("vertrag")) <= set(extras(fold("mietverträge")))
    assert set(query_parts(fold("verträge"))) <= set(extras(fold("mietvertrag")))
    # The word itself is no part of itself, short words have none, nor words with digits.
    assert not [e for e in extras("rechnung") if e == PART + "rechnung"]
    assert [e for e in extras("vertrag") if e.startswith(PART)] == []
    assert [e for e in extras("abc12345678") if e.startswith(PART)] == []
    # Short query stems do not search parts ("tag" would find "Tagung").
    assert query_parts("tag") == []
    # "Müller" is no part of "Hausmüllabfuhr": parts are whole suffixes, stemmed.
    assert not set(query_parts("muller")) & set(extras(fold("hausmüllabfuhr")))


def test_extras_text_holds_each_distinct_words_extras() -> None:
    terms = extras_text("rechnung, rechnung 2024").split()
    assert sorted(terms) == sorted(extras("rechnung"))
