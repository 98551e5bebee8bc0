"""The failed-login lockout of the IMAP server kept in the database, shared by every process.

``limits.AuthThrottle`` counts in the memory of one process: with several ``kustos imapd``
processes behind a balancer a guesser spreads the guesses over them. ``SharedThrottle`` keeps the
same interface and counts into the dashboard's sign-in records
(``accounts.services.login_lockout``, django-axes): one lockout per (account, client address) for
all IMAP processes and the dashboard, with the dashboard's limit and cool-off. The session calls
it from a worker thread (database access).
"""

from __future__ import annotations

from django.db import close_old_connections

from kustos.accounts.services import login_lockout
from kustos.imapd.limits import AuthThrottle, Limits

CHANNEL = "imap"


class SharedThrottle(AuthThrottle):
    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)

    def locked(self, user: str, client: str) -> bool:
        close_old_connections()
        return login_lockout.locked(user, client, channel=CHANNEL)

    def failure(self, user: str, client: str) -> None:
        close_old_connections()
        login_lockout.failed(user, client, channel=CHANNEL)

    def success(self, user: str, client: str) -> None:
        close_old_connections()
        login_lockout.succeeded(user, client)
