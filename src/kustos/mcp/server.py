"""`kustos mcp`: the MCP server (stdio or streamable HTTP) exposing the read-only tools of ``tools``.

The API token is resolved by ``accounts.services.tokens.authenticate``, the code behind the REST API's
bearer authentication: stdio once at start (``KUSTOS_API_TOKEN`` or a token file), HTTP on every
request (``Authorization: Bearer``; anything else answers 401 before the protocol is spoken).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import uvicorn
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections
from django.http import Http404

from kustos.accounts.services import tokens
from kustos.api.auth import PASSWORD_CHANGE_REQUIRED
from kustos.mcp import tools
from kustos.search import SearchError

try:  # the SDK's 2.x name; 1.x called it FastMCP
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
except ImportError:  # pragma: no cover
    from mcp.server.fastmcp import Context  # type: ignore[no-redef]
    from mcp.server.fastmcp import FastMCP as MCPServer  # type: ignore[no-redef]
    from mcp.server.fastmcp.exceptions import ToolError  # type: ignore[no-redef]

USER_KEY = "kustos.user"
INSTRUCTIONS = ("Read-only access to a Kustos e-mail archive: search messages, read one message, read the text "
                "of an attachment, list mailboxes. You see exactly what the token's user may see.")


class TokenRefused(Exception):
    """The API token is unknown, revoked, expired or its user must choose a new password first."""


def user_for_token(secret: str) -> Any:
    close_old_connections()
    try:
        user = tokens.authenticate(secret.strip())
    except tokens.TokenExpired as exc:
        raise TokenRefused(str(exc)) from None
    if user is None:
        raise TokenRefused("invalid API token (unknown, revoked, or its user is deactivated)")
    if user.must_change_password:
        raise TokenRefused(PASSWORD_CHANGE_REQUIRED)
    return user


def _call(fn: Callable[..., dict[str, Any]], user: Any, **kwargs: Any) -> dict[str, Any]:
    close_old_connections()
    try:
        return fn(user, **kwargs)
    except Http404 as exc:
        raise ToolError(f"not found: {exc}") from None
    except PermissionDenied as exc:
        raise ToolError(f"permission denied: {exc}") from None
    except ValidationError as exc:
        raise ToolError("; ".join(exc.messages)) from None
    except ValueError as exc:  # a query syntax error, paging out of range
        raise ToolError(f"search not understood: {exc}") from None
    except SearchError as exc:  # e.g. the index is being rebuilt: the message says since when
        raise ToolError(str(exc)) from None


def build(stdio_user: Any = None) -> MCPServer:
    server = MCPServer("kustos", instructions=INSTRUCTIONS)

    def user_of(ctx: Context) -> Any:
        request = ctx.request_context.request
        user = request.scope.get(USER_KEY) if request is not None and hasattr(request, "scope") else stdio_user
        if user is None:
            raise ToolError("not authenticated")
        return user

    async def run(ctx: Context, fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        user = user_of(ctx)
        return await anyio.to_thread.run_sync(lambda: _call(fn, user, **kwargs))

    @server.tool(description="Full-text search in the archive; hits: id, subject, from, date, mailbox, snippet.")
    async def search_messages(ctx: Context, query: str = "", limit: int = 20, offset: int = 0,
                              customer: str = "") -> dict[str, Any]:
        return await run(ctx, tools.search_messages, query=query, limit=limit, offset=offset, customer=customer)

    @server.tool(description="One message by id: headers, text body and the list of attachments.")
    async def get_message(ctx: Context, id: str) -> dict[str, Any]:  # noqa: A002  (the tool's argument name)
        return await run(ctx, tools.get_message, message_id=id)

    @server.tool(description="The extracted text of attachment `index` (from get_message) of message `id`.")
    async def get_attachment_text(ctx: Context, id: str, index: int) -> dict[str, Any]:  # noqa: A002
        return await run(ctx, tools.get_attachment_text, message_id=id, index=index)

    @server.tool(description="The mailboxes of the archive you may read.")
    async def list_mailboxes(ctx: Context, customer: str = "") -> dict[str, Any]:
        return await run(ctx, tools.list_mailboxes, customer=customer)

    return server


class BearerGate:
    """ASGI wrapper: every HTTP request needs ``Authorization: Bearer <API token>`` (else 401)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        scheme, _, secret = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not secret.strip():
                raise TokenRefused("send the API token as `Authorization: Bearer <token>`")
            user = await anyio.to_thread.run_sync(lambda: user_for_token(secret))
        except TokenRefused as exc:
            body = json.dumps({"error": str(exc)}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app({**scope, USER_KEY: user}, receive, send)


def serve_stdio(user: Any) -> None:
    build(stdio_user=user).run("stdio")


def serve_http(host: str, port: int, announce: Callable[[str], None]) -> None:


    app = BearerGate(build().streamable_http_app(stateless_http=True, json_response=True, host=host))
    announce(f"MCP (read-only archive access, streamable HTTP) on http://{host}:{port}/mcp")
    uvicorn.run(app, host=host, port=port, log_level="warning")
