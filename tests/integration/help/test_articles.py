"""The knowledge base: every article in English and German, rendered safely, and only real
features: every `kustos ...` command parses with the real CLI parser, every dashboard path
resolves, every search example parses with the real query parser, every article link exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from kustos.cli.registry import build_parser
from kustos.help import registry
from kustos.help.render import ArticleError, to_html
from kustos.search.query.parser import parse_query

REQUIRED = {  # the articles the task names, by slug
    "connect-microsoft-365", "journaling-exchange-online", "connect-imap-pop3", "import-pst-mbox",
    "search-archive", "restore-backup", "tax-auditor", "retention-and-holds", "gdpr-requests",
    "cancel-customer", "trials-and-billing", "notifications-webhooks",
}
ALL = [(slug, lang) for slug in registry.slugs() for lang in registry.LANGUAGES]
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```\n(.*?)^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_PATH = re.compile(r"^/[A-Za-z0-9_./<>-]*$")


def _article(slug: str, lang: str) -> registry.Article:
    a = registry._all()[(slug, lang)]
    assert a.lang == lang
    return a


def _commands(body: str) -> list[str]:
    cmds = [c for c in _CODE_SPAN.findall(body) if c.startswith("kustos ")]
    for block in _FENCE.findall(body):
        cmds += [line.strip() for line in block.splitlines() if line.strip().startswith("kustos ")]
    return cmds


def _paths(body: str) -> list[str]:
    spans = [c for c in _CODE_SPAN.findall(body) if _PATH.match(c)]
    return spans + [t for t in _LINK.findall(body) if t.startswith("/")]


def test_every_required_article_exists_in_english_and_german():
    files = {p.name for p in registry.ARTICLES_DIR.glob("*.md")}
    for slug in REQUIRED | set(registry.slugs()):
        assert f"{slug}.en.md" in files and f"{slug}.de.md" in files, slug
    assert REQUIRED <= set(registry.slugs())


@pytest.mark.parametrize(("slug", "lang"), ALL)
def test_german_and_english_differ_and_share_structure(slug, lang):
    a, other = _article(slug, lang), _article(slug, "de" if lang == "en" else "en")
    assert a.title != other.title and a.topic == other.topic
    assert _commands(a.body) == _commands(other.body) or len(_commands(a.body)) == len(_commands(other.body))
    assert len(_paths(a.body)) == len(_paths(other.body))


@pytest.mark.parametrize(("slug", "lang"), ALL)
def test_every_command_in_the_articles_parses(slug, lang):
    parser = build_parser()
    cmds = _commands(_article(slug, lang).body)
    for cmd in cmds:
        try:
            args = parser.parse_args(shlex.split(cmd)[1:])
        except SystemExit:
            pytest.fail(f"{slug}.{lang}: the CLI does not accept {cmd!r}")
        assert callable(getattr(args, "func", None)), cmd


@pytest.mark.parametrize(("slug", "lang"), ALL)
def test_every_dashboard_path_in_the_articles_resolves(slug, lang):
    for path in _paths(_article(slug, lang).body):
        concrete = re.sub(r"<[a-z_]+>", "cu_sample", path)
        try:
            resolve(concrete.split("?")[0])
        except Resolver404:
            pytest.fail(f"{slug}.{lang}: {path} is no dashboard page")


@pytest.mark.parametrize(("slug", "lang"), ALL)
def test_article_links_point_to_existing_articles(slug, lang):
    for target in _LINK.findall(_article(slug, lang).body):
        if target.startswith("help:"):
            assert target[5:] in registry.slugs(), f"{slug}.{lang}: link to unknown article {target}"


@pytest.mark.parametrize("lang", registry.LANGUAGES)
def test_the_search_syntax_examples_are_accepted_by_the_query_parser(lang):
    body = _article("search-archive", lang).body
    section = body.split("## ")[1]  # the syntax section
    examples = [c for c in _CODE_SPAN.findall(section) if not c.endswith(":") and " " not in c.strip("\"")]
    examples += [line.split("`")[1] for line in body.splitlines() if line.startswith(("Example", "Beispiel"))]
    assert len(examples) > 20
    for q in examples:
        parse_query(q)  # raises QuerySyntaxError for an example the search does not support


def test_rendering_escapes_html_and_refuses_foreign_links():
    html = to_html("# T\n\nA <script>alert(1)</script> and `<b>` **x**\n\n- [in](/jobs/)\n- [a](help:search-archive)\n")
    assert "<script>" not in html and "&lt;script&gt;" in html and "<code>&lt;b&gt;</code>" in html
    assert '<a href="/jobs/">in</a>' in html and '<a href="/help/search-archive/">a</a>' in html
    for bad in ("[x](https://evil.example/)", "[x](javascript:alert(1))", "[x](//evil.example/)"):
        with pytest.raises(ArticleError):
            to_html(bad)
    assert "style=" not in html and "onclick" not in html


@pytest.mark.parametrize(("slug", "lang"), ALL)
def test_every_article_renders(slug, lang):
    html = _article(slug, lang).html
    assert "<h3>" in html or "<p>" in html
    assert "<script" not in html and "style=" not in html


def test_article_files_are_well_formed(tmp_path: Path):
    with pytest.raises(ValueError, match="no '---' line"):
        registry.parse("x", "en", "title: a\n")
    with pytest.raises(ValueError, match="lacks summary"):
        registry.parse("x", "en", "title: a\ntopic: archive\norder: 1\n---\nbody")
    with pytest.raises(ValueError, match="unknown topic"):
        registry.parse("x", "en", "title: a\ntopic: nope\norder: 1\nsummary: s\n---\nbody")
