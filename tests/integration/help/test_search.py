"""Searching the help: German terms find German articles, English terms English ones, ranked."""

from __future__ import annotations

from kustos.help.search import search


def _slugs(query: str, lang: str) -> list[str]:
    return [h.article.slug for h in search(query, lang)]


def test_english_terms_find_english_articles_best_first():
    assert _slugs("journal rule", "en")[0] == "journaling-exchange-online"
    assert _slugs("admin consent", "en")[0] == "connect-microsoft-365"
    assert _slugs("restore mailbox", "en")[0] == "restore-backup"
    assert _slugs("tax auditor", "en")[0] == "tax-auditor"
    assert all(h.article.lang == "en" for h in search("restore", "en"))


def test_german_terms_find_german_articles():
    assert _slugs("Journalregel", "de")[0] == "journaling-exchange-online"
    assert _slugs("Betriebsprüfer", "de")[0] == "tax-auditor"
    assert _slugs("wiederherstellen Postfach", "de")[0] == "restore-backup"
    assert _slugs("kündigen", "de")[0] == "cancel-customer"
    assert _slugs("Aufbewahrungsfrist", "de")[0] == "retention-and-holds"
    assert all(h.article.lang == "de" for h in search("Postfach", "de"))


def test_umlauts_and_their_spellings_match_each_other():
    assert _slugs("Betriebspruefer", "de") == _slugs("Betriebsprüfer", "de")
    assert "tax-auditor" in _slugs("loeschen", "de") or "cancel-customer" in _slugs("loeschen", "de")


def test_every_word_must_match_and_nonsense_finds_nothing():
    assert _slugs("xylophon", "en") == []
    assert _slugs("journal xylophon", "en") == []


def test_empty_query_lists_every_article_and_unknown_language_falls_back_to_english():
    every = _slugs("", "en")
    assert len(every) == len(set(every)) >= 10
    assert _slugs("restore", "fr") == _slugs("restore", "en")


def test_billing_and_webhook_articles_are_found_in_both_languages():
    assert _slugs("billing CSV", "en")[0] == "trials-and-billing"
    assert _slugs("Testphase", "de")[0] == "trials-and-billing"
    assert _slugs("webhook signature", "en")[0] == "notifications-webhooks"
    assert _slugs("Webhook Signatur", "de")[0] == "notifications-webhooks"
