"""The Graph session every backup service uses: the mail connector's token and HTTP client, put
under the tenant-wide throttle (no second HTTP stack)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from kustos.sources.egress import EgressPolicy
from kustos.sources.graph.backup.throttle import TenantThrottle, for_tenant
from kustos.sources.graph.connector import GRAPH, GraphMailConnector
from kustos.sources.http import RetryPolicy, iter_link_pages


class GraphSession(GraphMailConnector):
    """A :class:`GraphMailConnector` (token, error mapping, mail folder delta) whose HTTP client
    shares the tenant's throttle with every other session of this process."""

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, endpoint: str | None = GRAPH,
                 login_endpoint: str | None = None, *, page_size: int = 100,
                 retry: RetryPolicy | None = None, timeout: float = 60.0, egress: EgressPolicy | None = None,
                 throttle: TenantThrottle | None = None) -> None:
        super().__init__(tenant_id, client_id, client_secret, endpoint=endpoint, login_endpoint=login_endpoint,
                         page_size=page_size, retry=retry, timeout=timeout, egress=egress)
        self.throttle = throttle or for_tenant(self.endpoint, tenant_id)
        self.max_concurrency = self.throttle.limiter.limit
        # The connector's client (token, retries, error mapping, egress) is kept and put under the
        # tenant's throttle: a second client would set up TLS (certificate store) once more per run.
        self.http.limiter = self.throttle.limiter
        self.http.pause = self.throttle.pause

    def __repr__(self) -> str:  # never show the secret
        return f"GraphSession(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    def user_url(self, user_id: str, path: str = "") -> str:
        return f"{self.base}/users/{quote(user_id, safe='')}{path}"

    def users(self) -> Iterator[dict[str, Any]]:
        """Every user of the tenant (licensed or not), as Graph lists them."""
        url = f"{self.base}/users?$select=id,displayName,mail,userPrincipalName&$top=999"
        for page in iter_link_pages(self.http.get_json, url):
            yield from page.get("value", [])
