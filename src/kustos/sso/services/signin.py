"""After a verified SSO identity: the Django session (with the policy's maximum age) and the next
step: the existing second-factor step unless the provider asserted MFA (``amr`` contains "mfa")."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import login as django_login
from django.http import HttpRequest

from kustos.accounts.models import User
from kustos.accounts.services import twofactor
from kustos.sso.services import providers

SESSION_PROVIDER = "sso_provider"
SESSION_MFA = "sso_mfa"  # True when the provider asserted MFA for this session


def provider_asserted_mfa(request: HttpRequest) -> bool:
    """Whether this session's sign-in came with MFA asserted by the identity provider."""
    return bool(request.session.get(SESSION_MFA))


def max_age_seconds(user: User) -> int:
    policy = (providers.policy_for(customer=user.customer) if user.customer_id
              else providers.policy_for(partner=user.partner))
    return int(policy.session_max_age_hours) * 3600


def open_session(request: HttpRequest, user: User, *, provider_id: str, mfa: bool, next_url: str) -> str:
    """Sign ``user`` in and return where to go next."""
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.set_expiry(max_age_seconds(user))
    request.session[SESSION_PROVIDER] = provider_id
    request.session[SESSION_MFA] = bool(mfa)
    if mfa:
        return next_url
    if twofactor.confirmed_device(user) is not None:
        return "/login/otp/?" + urlencode({"next": next_url})
    if twofactor.required(user):
        return "/account/2fa/setup/"
    return next_url
