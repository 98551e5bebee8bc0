"""One failed-login lockout for every way of signing in with a password: the dashboard and IMAP.

The dashboard's sign-in counts wrong passwords with django-axes in the database
(``AXES_LOCKOUT_PARAMETERS``: the (account, client address) pair, ``AXES_FAILURE_LIMIT`` failures
within ``AXES_COOLOFF_TIME``). The IMAP server counts its refused logins (wrong password, wrong or
revoked app password, unknown user) into the same records, so

* guesses spread over several ``kustos imapd`` processes (scale-out) and the in-process server of
  ``kustos serve`` add up: every process asks the database, none keeps its own count;
* guesses spread over IMAP and the dashboard add up too: one lockout, as a user expects.

As on the dashboard the pair is locked, never the account, so a stranger cannot lock the owner
out from the owner's own address. A successful login clears the pair's failures (the dashboard
does so in ``signin_throttle.signed_in``).

Axes works on requests; a login that does not come over HTTP is described by a request that
carries only the client address and the channel (as user agent and path, so the records say where
the guesses came from). Every function touches the database: call it from a worker thread.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpRequest

MAX_NAME = 255  # the length of axes' AccessAttempt.username


def account_name(username: str) -> str:
    """The name failures are counted under: the e-mail address as the dashboard's form cleans it
    (an IMAP ``EMAIL#CUSTOMER-ID`` login counts for ``EMAIL``)."""
    return username.partition("#")[0].strip().lower()[:MAX_NAME]


def _request(client: str, channel: str) -> HttpRequest:
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = f"/{channel}"
    request.META = {"REMOTE_ADDR": client, "HTTP_USER_AGENT": channel, "PATH_INFO": request.path}
    return request


def _credentials(username: str) -> dict[str, str]:
    return {"email": account_name(username)}


def locked(username: str, client: str, *, channel: str = "imap") -> bool:
    """Whether logins of ``username`` from ``client`` are refused for now."""
    return bool(AxesProxyHandler.is_locked(_request(client, channel), _credentials(username)))


def failed(username: str, client: str, *, channel: str = "imap") -> None:
    """Count one refused login of ``username`` from ``client``."""
    AxesProxyHandler.user_login_failed(__name__, _credentials(username), _request(client, channel))


def succeeded(username: str, client: str) -> None:
    """A complete login: the pair's failures are forgotten (on every channel)."""
    AxesProxyHandler.reset_attempts(ip_address=client, username=account_name(username))
