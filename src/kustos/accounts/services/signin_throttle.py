"""Failed sign-in steps count against one (account, client address) pair, never the account.

Wrong passwords are counted by django-axes (``AXES_LOCKOUT_PARAMETERS``). Wrong second-factor
codes are counted here into the same axes records, so an address that holds a leaked password
but not the phone gets a few codes per sign-in and is then sent back to the password step,
where the lockout of that pair applies. The authenticator device itself is never throttled
(``OTP_TOTP_THROTTLE_FACTOR = 0``): a throttle on the device would let anyone with the password
lock the owner out from everywhere. A complete sign-in clears the pair's failures.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpRequest

CODES_PER_SIGN_IN = 3
_SESSION_KEY = "kustos_code_failures"


def _credentials(email: str) -> dict[str, str]:
    return {"email": email}


def code_failed(request: HttpRequest, email: str) -> bool:
    """Record a wrong code; True when this sign-in must start over at the password step."""
    AxesProxyHandler.user_login_failed(__name__, _credentials(email), request)
    failures = int(request.session.get(_SESSION_KEY, 0)) + 1
    request.session[_SESSION_KEY] = failures
    return failures >= CODES_PER_SIGN_IN or AxesProxyHandler.is_locked(request, _credentials(email))


def signed_in(request: HttpRequest, email: str) -> None:
    """The sign-in is complete (password and, where the user has one, the code)."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.reset_attempts(ip_address=request.axes_ip_address, username=email)
    request.session.pop(_SESSION_KEY, None)
