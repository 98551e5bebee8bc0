"""Plumbing shared by the Graph workload modules: auth and app roles, paging, delta rounds.

Every workload endpoint is wrapped by :meth:`Workload.route`: bearer token checked
(401 ``InvalidAuthenticationToken``), the app's roles checked against the endpoint's
read or write roles (403 with the workload's documented error code), latency faults
applied, then the handler runs under the store lock. Throttling (429/503 with
``Retry-After``) is applied before routing by :class:`fakecloud.app.FakeCloud` to every
``/v1.0/`` path, so it covers these endpoints too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from fakecloud import tokens
from fakecloud.faults import Faults
from fakecloud.microsoft.errors import graph_error
from fakecloud.microsoft.feed import Feed
from fakecloud.microsoft.store import IssuedToken, MicrosoftStore
from fakecloud.web import Request, Response, Router, json_response

ODATA = "https://graph.microsoft.com/v1.0/$metadata"
Handler = Callable[[Request, IssuedToken], Response]
Render = Callable[[Any], dict[str, Any]]


def not_found(code: str = "itemNotFound", message: str = "The resource could not be found.") -> Response:
    return graph_error(404, code, message)


def bad_request(message: str, code: str = "invalidRequest") -> Response:
    return graph_error(400, code, message)


def authenticate(store: MicrosoftStore, request: Request) -> IssuedToken | Response:
    token = request.bearer()
    if token is None:
        return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.",
                           {"WWW-Authenticate": 'Bearer realm=""'})
    issued = store.tokens.get(token)
    if issued is None:
        return graph_error(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
    if issued.expires_at < time.time():
        return graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
    return issued


class Workload:
    """Base of a workload module: ``read``/``write`` role sets and the 403 shape."""

    read_roles: frozenset[str] = frozenset()
    write_roles: frozenset[str] = frozenset()
    denied_code = "accessDenied"
    denied_message = "Either scp or roles claim need to be present in the token."

    def __init__(self, store: MicrosoftStore, faults: Faults, mailbox_limit: Callable[[], int] | None = None) -> None:
        self.store = store
        self.faults = faults
        # Exchange workloads share the mail endpoints' per-mailbox concurrency limit (429 ApplicationThrottled).
        self.mailbox_limit = mailbox_limit

    def register(self, router: Router) -> None:
        raise NotImplementedError

    def route(self, router: Router, method: str, pattern: str, handler: Handler, write: bool = False,
              roles: Iterable[str] | None = None) -> None:
        allowed = frozenset(roles) if roles is not None else (self.write_roles if write else
                                                              self.read_roles | self.write_roles)

        def wrapped(request: Request) -> Response:
            issued = authenticate(self.store, request)
            if isinstance(issued, Response):
                return issued
            if not issued.app.roles & allowed:
                return graph_error(403, self.denied_code, self.denied_message)
            user = self.store.user(issued.tenant, request.params["user"]) if "user" in request.params else None
            key = stats_key(request, user.id if user is not None else None)
            try:
                # Every endpoint counts its requests in flight (``/_fakecloud/stats``); only the Exchange
                # workloads (``mailbox_limit``) answer 429 over the per-mailbox limit.
                in_flight = self.faults.enter(key)
                if user is not None and self.mailbox_limit is not None and in_flight > self.mailbox_limit():
                    self.faults.note_throttled(request.path, 1)
                    return graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency "
                                       "limit.", {"Retry-After": "1"})
                delay = self.faults.latency_for(request.path)
                if delay:
                    time.sleep(delay)
                with self.store.lock:
                    try:
                        return handler(request, issued)
                    except json.JSONDecodeError:
                        return graph_error(400, "BadRequest", "Unable to read JSON request payload. Please ensure "
                                           "Content-Type header is set and payload is of valid JSON format.")
            finally:
                self.faults.leave(key)

        router.add(method, r"/v1\.0" + pattern, wrapped)


# Path parameters naming the resource a request is counted against, most specific owner first.
STATS_OWNERS = ("drive", "site", "team", "chat", "owner")


def stats_key(request: Request, user_id: str | None) -> str:
    """The concurrency-statistics key of a request: ``graph:<user id>`` for a user's resources (as the mail
    endpoints count), else the drive, site, team or chat it addresses, else its first path segment."""
    if user_id is not None:
        return f"graph:{user_id}"
    for name in STATS_OWNERS:
        value = request.params.get(name)
        if value:
            return f"graph:{name}:{request.params.get('key', value) if name == 'owner' else value}"
    return "graph:" + request.path.removeprefix("/v1.0/").split("/", 1)[0]


def link(request: Request, **extra: str) -> str:
    query = {k: v[0] for k, v in request.query.items() if k not in ("$skiptoken", "$skip", "$deltatoken", "token")}
    query.update(extra)
    return f"{request.base_url}{request.path}?{urlencode(query, safe='$,')}"


def page_size(request: Request, default: int) -> int:
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "odata.maxpagesize" and value.isdigit():
            return max(1, int(value))
    top = request.arg("$top") or request.arg("top")
    return max(1, int(top)) if top and top.isdigit() else default


def select(row: dict[str, Any], request: Request) -> dict[str, Any]:
    fields = [s for s in (request.arg("$select") or request.arg("select") or "").split(",") if s]
    if not fields:
        return row
    return {k: v for k, v in row.items() if k in fields or k == "id" or k.startswith("@")}


def collection(request: Request, context: str, rows: list[Any], default_size: int = 200,
               render: Render | None = None) -> Response:
    """A paged collection: ``value`` plus ``@odata.nextLink`` (opaque ``$skiptoken``) while more remain.

    With ``render``, ``rows`` are objects and only the page served is rendered.
    """
    state = tokens.decode(request.arg("$skiptoken") or "") or {"o": 0}
    offset, size = int(state.get("o", 0)), page_size(request, default_size)
    page = rows[offset:offset + size]
    body: dict[str, Any] = {"@odata.context": f"{ODATA}#{context}",
                            "value": [select(render(r) if render else r, request) for r in page]}
    if offset + size < len(rows):
        body["@odata.nextLink"] = link(request, **{"$skiptoken": tokens.encode({"o": offset + size})})
    return json_response(200, body)


def entity(context: str, row: dict[str, Any], request: Request | None = None, status: int = 200) -> Response:
    body = {"@odata.context": f"{ODATA}#{context}/$entity", **(select(row, request) if request else row)}
    return json_response(status, body)


def delta(request: Request, feed: Feed, context: str, render: Render, removed: Callable[[str], dict[str, Any]],
          default_size: int = 200, token_param: str = "$deltatoken",
          gone: Callable[[Feed], Response] | None = None,
          keep: Callable[[Any], bool] | None = None) -> Response:
    """One page of a delta round over ``feed``.

    Page links carry ``$skiptoken`` (or ``token`` for drives), the last page a
    ``deltaLink`` with ``$deltatoken`` (or ``token``). ``token=latest`` (drives) answers
    no rows and a deltaLink at the current state. An invalidated token is 410 with the
    feed's code (``SyncStateNotFound`` or ``resyncRequired``).
    """
    skip_param = "token" if token_param == "token" else "$skiptoken"
    raw = request.arg(token_param) if token_param == "token" else (request.arg("$deltatoken")
                                                                   or request.arg("$skiptoken"))
    size = page_size(request, default_size)
    if raw == "latest" and token_param == "token":
        latest = {"@odata.context": f"{ODATA}#{context}", "value": [],
                  "@odata.deltaLink": link(request, token=tokens.encode({"f": feed.key, "e": feed.epoch,
                                                                         "s": feed.seq}))}
        return json_response(200, latest)
    if raw is None:
        since, upto, offset = 0, feed.seq, 0
    else:
        state = tokens.decode(raw)
        if state is None or state.get("f") != feed.key:
            return graph_error(400, "SyncStateInvalid", "The sync state is invalid.")
        if state.get("e") != feed.epoch:
            if gone is not None:
                return gone(feed)
            return graph_error(410, feed.invalid_code, "The sync state generation is not found. The delta "
                               "token is expired and data must be synchronized again.")
        since = int(state["s"])
        upto, offset = (int(state["t"]), int(state["o"])) if "t" in state else (feed.seq, 0)
    rows = feed.ids(since, upto)
    if keep is not None:  # e.g. the calendarView window; removals are always reported
        rows = [item_id for item_id in rows if item_id not in feed.items or keep(feed.items[item_id])]
    value = [select(render(feed.items[item_id]), request) if item_id in feed.items else removed(item_id)
             for item_id in rows[offset:offset + size]]
    body: dict[str, Any] = {"@odata.context": f"{ODATA}#{context}", "value": value}
    base = {"f": feed.key, "e": feed.epoch, "s": since}
    if offset + size < len(rows):
        body["@odata.nextLink"] = link(request, **{skip_param: tokens.encode({**base, "t": upto, "o": offset + size})})
    else:
        body["@odata.deltaLink"] = link(request, **{token_param: tokens.encode({**base, "s": upto})})
    headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if "prefer" in request.headers else {}
    return json_response(200, body, headers)
