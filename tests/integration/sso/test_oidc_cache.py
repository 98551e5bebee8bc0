"""The provider metadata cache against the emulated Google and Entra ID (fakecloud, a real process),
counting the provider's requests with ``GET /_fakecloud/oidc/stats``: the discovery document and the
keys are fetched once for many sign-ins, a rotated key is fetched again, tokens with unknown keys
cause at most one refetch per interval, and a provider that fails or is slow gives one audited line."""

from __future__ import annotations

import pytest
from django.test import Client

from kustos.audit.models import AuditEvent
from kustos.sso.services import metadata_cache, oidc_flow, providers
from kustos.sso.services.metadata_cache import MetadataCache, MetadataError
from tests import factories
from tests.integration.sso.oidc_helpers import REDIRECT_URI, messages_of, sign_in

pytestmark = pytest.mark.django_db

DOMAIN = "cache-kunde.example"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(metadata_cache, "CACHE", MetadataCache(clock=clock))
    return clock


@pytest.fixture
def setup(provider_cloud, clock):
    control = provider_cloud.control
    app = control.oidc_client("google", [REDIRECT_URI])
    customer = factories.customer(factories.partner("Cache Partner"), "Cache Kunde")
    provider = providers.create(customer, kind="google", name="Google Cache", secret=app["client_secret"],
                                config={"client_id": app["client_id"], "discovery_url": app["discovery_url"],
                                        "create_users": True, "default_role": "end_user"}, actor="test")
    for name in ("ada", "bob", "cy"):
        control.oidc_user("google", f"{name}@{DOMAIN}")
    return control, provider


def _google(control) -> dict[str, int]:
    return control.oidc_stats()["services"]["google"]


def _failures(reason: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="sso.sign_in_failed", detail__reason=reason).order_by("seq"))


def test_two_sign_ins_fetch_discovery_and_keys_once(setup):
    control, provider = setup
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    assert sign_in(Client(), provider.id, f"bob@{DOMAIN}")["Location"] == "/"
    stats = _google(control)
    assert (stats["discovery"], stats["jwks"], stats["authorize"], stats["tokens_issued"]) == (1, 1, 2, 2)
    assert AuditEvent.objects.filter(action="sso.sign_in").count() == 2


def test_discovery_and_keys_are_fetched_again_after_an_hour(setup, clock):
    control, provider = setup
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    clock.now += 3599
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    assert (_google(control)["discovery"], _google(control)["jwks"]) == (1, 1)
    clock.now += 2
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    assert (_google(control)["discovery"], _google(control)["jwks"]) == (2, 2)


def test_a_rotated_key_is_fetched_again_once(setup):
    control, provider = setup
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    control.oidc_rotate_keys("google", drop_old=True)
    assert sign_in(Client(), provider.id, f"bob@{DOMAIN}")["Location"] == "/"  # new kid: refetched
    assert sign_in(Client(), provider.id, f"cy@{DOMAIN}")["Location"] == "/"  # now cached
    stats = _google(control)
    assert (stats["discovery"], stats["jwks"], stats["tokens_issued"]) == (1, 2, 3)
    assert _failures("unknown_key") == []


def test_tokens_with_unknown_keys_cause_at_most_one_refetch_per_minute(setup, clock):
    control, provider = setup
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    for _ in range(3):
        control.oidc_next_id_token("google", sign_with="unknown-key")
        assert sign_in(Client(), provider.id, f"bob@{DOMAIN}")["Location"] == "/login/"
    assert _google(control)["jwks"] == 2  # the first unknown key fetched the set again, the others did not
    assert len(_failures("unknown_key")) == 3
    # A rotation within that minute waits for the next refetch slot; after it, the new key works.
    control.oidc_rotate_keys("google", drop_old=True)
    assert sign_in(Client(), provider.id, f"cy@{DOMAIN}")["Location"] == "/login/"
    assert _google(control)["jwks"] == 2
    clock.now += 61
    assert sign_in(Client(), provider.id, f"cy@{DOMAIN}")["Location"] == "/"
    assert (_google(control)["jwks"], _google(control)["discovery"]) == (3, 1)


def test_entra_key_rotation_with_the_old_key_dropped(provider_cloud, clock):
    control = provider_cloud.control
    tid = "7f3c1e52-aaaa-4bbb-8ccc-00000000cafe"
    app = control.oidc_client("ms", [REDIRECT_URI], tenant=tid)
    customer = factories.customer(factories.partner("Entra Cache Partner"), "Entra Cache Kunde")
    provider = providers.create(customer, kind="entra", name="Entra Cache", secret=app["client_secret"], config={
        "client_id": app["client_id"], "discovery_url": app["common_discovery_url"], "tenant_ids": [tid],
        "graph_url": provider_cloud.base_url, "create_users": True, "default_role": "end_user"}, actor="test")
    control.oidc_user("ms", "rot@contoso-cache.example", tenant=tid)
    assert sign_in(Client(), provider.id, "rot@contoso-cache.example")["Location"] == "/"
    control.oidc_rotate_keys("ms", drop_old=True)
    assert sign_in(Client(), provider.id, "rot@contoso-cache.example")["Location"] == "/"
    assert sign_in(Client(), provider.id, "rot@contoso-cache.example")["Location"] == "/"
    stats = control.oidc_stats()["services"]["ms"]
    assert (stats["discovery"], stats["jwks"], stats["tokens_issued"]) == (1, 2, 3)


def test_discovery_failure_is_one_audited_line_and_not_retried_for_ten_seconds(setup, clock):
    control, provider = setup
    control.throttle("/.well-known/openid-configuration", count=1, status=503)
    client = Client()
    response = client.get(f"/sso/{provider.id}/start")
    assert response.status_code == 302 and response["Location"] == "/login/"
    expected = (f"Google Cache: the discovery document could not be read (the discovery document at "
                f"{provider.config['discovery_url']} answered HTTP 503).")
    assert expected in messages_of(client)
    [failure] = _failures("provider_unavailable")
    assert failure.detail["message"] == expected and "\n" not in expected
    assert failure.target == provider.id and failure.outcome == "failed"
    # The provider is up again, but for ten seconds the failure is remembered (no request).
    assert Client().get(f"/sso/{provider.id}/start")["Location"] == "/login/"
    assert len(_failures("provider_unavailable")) == 2
    assert _google(control)["discovery"] == 0  # the throttled requests never reached the endpoint
    clock.now += 11
    assert sign_in(Client(), provider.id, f"ada@{DOMAIN}")["Location"] == "/"
    assert _google(control)["discovery"] == 1


def test_key_set_failure_at_the_callback_is_audited(setup):
    control, provider = setup
    control.throttle("/oauth2/v3/certs", count=1, status=500)
    client = Client()
    assert sign_in(client, provider.id, f"ada@{DOMAIN}")["Location"] == "/login/"
    jwks_uri = metadata_cache.CACHE.discovery(provider.config["discovery_url"], timeout=5)["jwks_uri"]
    expected = f"Google Cache: the signing keys could not be read (the signing keys at {jwks_uri} answered HTTP 500)."
    [failure] = _failures("provider_unavailable")
    assert failure.detail["message"] == expected
    assert expected in messages_of(client)
    assert _google(control)["discovery"] == 1


def test_a_slow_provider_times_out(setup, monkeypatch):
    control, provider = setup
    monkeypatch.setattr(oidc_flow, "HTTP_TIMEOUT", 1)
    control.call("faults/latency", prefix="/.well-known/openid-configuration", seconds=3)
    client = Client()
    assert client.get(f"/sso/{provider.id}/start")["Location"] == "/login/"
    assert "did not answer within 1 s" in messages_of(client)
    [failure] = _failures("provider_unavailable")
    assert failure.detail["message"].endswith(
        f"(the discovery document at {provider.config['discovery_url']} did not answer within 1 s).")


def test_the_cache_is_bounded_and_checks_what_it_fetches(provider_cloud):
    base = provider_cloud.base_url
    cache = MetadataCache(max_entries=2)
    for tenant in ("t1", "t2", "t3"):
        assert cache.discovery(f"{base}/{tenant}/v2.0/.well-known/openid-configuration", timeout=5)["jwks_uri"]
    assert len(cache) == 2
    with pytest.raises(MetadataError, match=r"^the discovery document at .*/oauth2/v3/certs lacks issuer, "
                                            r"authorization_endpoint, token_endpoint, jwks_uri$"):
        cache.discovery(f"{base}/oauth2/v3/certs", timeout=5)
    with pytest.raises(MetadataError, match=r"^the signing keys at http://127\.0\.0\.1:1/keys could not be "
                                            r"fetched \(ConnectionError\)$"):
        cache.jwks("http://127.0.0.1:1/keys", timeout=5)
    assert len(cache) == 3  # two discovery URLs (the failing one pushed the oldest out) and one key-set URL
