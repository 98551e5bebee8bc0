"""The provider's HTML: the sign-in page (``#email``, ``#signin``) and the error page."""

from __future__ import annotations

from html import escape

from fakecloud.web import Response

BRANDS = {"ms": "Microsoft", "google": "Google"}

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""


def sign_in_page(service: str, action: str, params: dict[str, str], login_hint: str) -> Response:
    title = f"Sign in to {BRANDS[service]} (emulated)"
    hidden = "\n".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                       for k, v in params.items() if k != "email")
    body = (f'<form method="post" action="{escape(action)}">\n{hidden}\n'
            f'<label for="email">E-mail</label>\n'
            f'<input type="email" id="email" name="email" value="{escape(login_hint)}" autofocus>\n'
            f'<button type="submit" id="signin">Sign in</button>\n</form>')
    return _html(200, _PAGE.format(title=escape(title), body=body))


def error_page(service: str, status: int, message: str) -> Response:
    title = f"{BRANDS[service]} sign-in error (emulated)"
    return _html(status, _PAGE.format(title=escape(title), body=f'<p id="error">{escape(message)}</p>'))


def message_page(service: str, message: str) -> Response:
    title = f"{BRANDS[service]} (emulated)"
    return _html(200, _PAGE.format(title=escape(title), body=f'<p id="message">{escape(message)}</p>'))


def _html(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8",
                                                   "Cache-Control": "no-store"})
