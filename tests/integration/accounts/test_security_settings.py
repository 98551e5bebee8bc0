"""Item 11: HSTS in production, weak master keys refused in production (warned otherwise),
password rules in the one user service (API 422 with the reason), mail never logged."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import stat

import pytest
from django.core import mail
from django.test import Client

from kustos.accounts.services import tokens
from kustos.config import ConfigError, load_settings
from tests import factories

STRONG_SECRET = "s" + os.urandom(24).hex()


def _env(tmp_path, **extra) -> dict:
    return {"KUSTOS_HOME": str(tmp_path), "KUSTOS_PRODUCTION": "1", "KUSTOS_SECRET_KEY": STRONG_SECRET, **extra}


@pytest.mark.parametrize(("key", "rule"), [
    ("a" * 64, "repeats a pattern of 1 byte"),
    ("00112233445566778899aabbccddeeff" * 2, "repeats a pattern of 16 bytes"),
    ("abcd", "exactly 32 bytes"),
    ("9f1c2e7a4b6d8035c1e2f3a4b5c6d7e8", "exactly 32 bytes"),  # 16 random-looking bytes
    (bytes([1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1] * 2 + []).hex()[:62] + "09", "distinct byte values"),
])
def test_weak_master_key_is_refused_in_production(tmp_path, key, rule):
    with pytest.raises(ConfigError, match="KUSTOS_MASTER_KEY is refused in production mode: .*" + rule):
        load_settings(_env(tmp_path, KUSTOS_MASTER_KEY=key))


def test_strong_master_key_is_accepted_and_weak_one_only_warned_outside_production(tmp_path, caplog):
    assert load_settings(_env(tmp_path, KUSTOS_MASTER_KEY=os.urandom(32).hex())).production
    with caplog.at_level(logging.WARNING, logger="kustos.config"):
        settings = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_MASTER_KEY": "a" * 64})
    assert not settings.production
    assert "KUSTOS_MASTER_KEY is weak (it repeats a pattern of 1 byte" in caplog.text
    assert "a" * 64 not in caplog.text  # the key itself is never logged


@pytest.mark.django_db
def test_hsts_header_only_in_production(client: Client, settings):
    assert "Strict-Transport-Security" not in client.get("/login/")
    settings.KUSTOS = dataclasses.replace(settings.KUSTOS, production=True)
    resp = client.get("/login/")
    assert resp["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_django_settings_secure_cookies_and_proxy_header(tmp_path):
    """The settings module derived from a production configuration (fresh interpreter)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    env = {**os.environ, **_env(tmp_path, KUSTOS_MASTER_KEY=os.urandom(32).hex(), KUSTOS_ALLOWED_HOSTS="a.example")}
    code = ("import kustos.django_settings as s; print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, getattr(s, 'SECURE_PROXY_SSL_HEADER', None))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["31536000", "True", "True", "None"]
    env["KUSTOS_PROXY_SSL_HEADER"] = "HTTP_X_FORWARDED_PROTO"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')")


@pytest.mark.django_db
@pytest.mark.parametrize(("password", "reason"), [
    ("short-1", "too short"),
    ("password1234", "too common"),
    ("804175392046", "entirely numeric"),
    ("newbie@rules.example", "too similar"),
])
def test_api_user_creation_enforces_password_rules(client: Client, password, reason):
    partner = factories.partner("Rules Partner")
    admin = factories.user("admin@rules-partner.example", "partner_admin", partner=partner)
    _, secret = tokens.create(admin, "t")
    resp = client.post("/api/v1/users", {"email": "newbie@rules.example", "role": "partner_tech", "password": password},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert resp.status_code == 422 and reason in resp.json()["detail"], resp.content
    ok = client.post("/api/v1/users", {"email": "newbie@rules.example", "role": "partner_tech",
                                       "password": "a-sound-choice-8812"},
                     content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ok.status_code == 201


@pytest.mark.django_db
def test_reset_mail_goes_to_a_private_outbox_not_the_log(client: Client, settings, tmp_path, caplog, capsys):
    settings.EMAIL_BACKEND = "kustos.accounts.outbox.OutboxBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    user = factories.user("reset@outbox.example", "end_user",
                          customer=factories.customer(factories.partner("Outbox P"), "Outbox C"))
    with caplog.at_level(logging.DEBUG):
        resp = client.post("/password-reset/", {"email": user.email})
    assert resp.status_code == 302
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
    link = re.search(r"/password-reset/[^/\s]+/[^/\s]+/", files[0].read_text()).group(0)
    captured = capsys.readouterr()
    assert link not in caplog.text and link not in captured.out and link not in captured.err
    assert len(mail.outbox) == 0
