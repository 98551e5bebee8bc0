"""Kinds declare their fields once; settings validation, the secret-bound rule and CLI options follow."""

from __future__ import annotations

import pytest

from kustos.sources.kinds import registry, settings
from kustos.sources.kinds.fields import PASSWORD, TEXT, Field, Kind, KindError


def test_every_registered_kind_has_one_secret_and_labels_in_both_languages():
    assert [k.name for k in registry.all_kinds()][:4] == ["imap", "pop3", "graph", "gmail"]
    for kind in registry.all_kinds():
        assert kind.secret_field.noun, kind.name
        for spec in kind.fields:
            assert spec.label and spec.label_de, (kind.name, spec.name)


def test_a_kind_without_or_with_two_secrets_is_refused():
    with pytest.raises(ValueError, match="exactly one secret field"):
        Kind(name="x", label="X", label_de="X", build=lambda c, s, e: None, fields=(Field("a", TEXT, "A", "A"),))
    with pytest.raises(ValueError, match="found 2"):
        Kind(name="x", label="X", label_de="X", build=lambda c, s, e: None,
             fields=(Field("a", PASSWORD, "A", "A"), Field("b", PASSWORD, "B", "B")))


def test_unknown_and_missing_settings_are_named():
    imap = registry.get("imap")
    with pytest.raises(KindError, match="^unknown source settings: colour, tenant_id$"):
        settings.clean(imap, {"host": "h", "username": "u", "colour": "red", "tenant_id": "t"})
    with pytest.raises(KindError, match="^graph source needs: client_id$"):
        settings.clean(registry.get("graph"), {"tenant_id": "t"})
    with pytest.raises(KindError, match="^security must be none, starttls or tls$"):
        settings.clean(imap, {"host": "h", "username": "u", "security": "ssl"})


def test_secret_bound_changes_use_effective_defaults():
    pop3 = registry.get("pop3")
    base = {"host": "Mail.Example", "username": "u", "security": "tls"}
    assert settings.bound_changes(pop3, base, {**base, "port": 995, "host": "mail.example"}) == []
    assert settings.bound_changes(pop3, base, {**base, "security": "starttls"}) == ["port", "security mode"]
    assert settings.bound_changes(pop3, base, {**base, "mailbox": "x@y.example"}) == []


def test_destinations_include_the_default_port_and_a_token_uri_in_the_secret():
    assert settings.destinations(registry.get("imap"), {"host": "h.example", "security": "starttls"}, None) == [
        ("h.example", 143)]
    gmail = registry.get("gmail")
    assert settings.destinations(gmail, {"admin_email": "a@b.example", "endpoint": "http://e.example:8080"},
                                 '{"token_uri": "https://t.example/token"}') == [("e.example", 8080),
                                                                                  ("t.example", 443)]


def test_cli_options_keep_the_documented_names():
    options = {k.name: [f.option for f in k.fields] for k in registry.all_kinds()}
    assert {"--host", "--port", "--security", "--username", "--password-stdin", "--mailbox", "--include",
            "--exclude", "--no-verify-tls", "--ca-file", "--delete-after-days"} <= set(options["imap"])
    assert {"--tenant-id", "--client-id", "--client-secret-stdin", "--endpoint"} <= set(options["graph"])
    assert {"--service-account-file", "--admin-email", "--endpoint"} <= set(options["gmail"])
