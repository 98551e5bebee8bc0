"""sanitize_html: active content removed, remote loads blocked, cid: rewritten."""

from __future__ import annotations

from kustos.mail import has_remote_content, sanitize_html

HOSTILE = """<html><head><title>T</title><meta http-equiv="refresh" content="0;url=http://evil/">
<base href="http://evil/"><style>body { background: url(http://evil/css.png) }</style></head>
<body onload="steal()"><script>alert(1)</script>
<p style="color: red; background-image: url('http://evil/bg.gif')">Hello</p>
<img src="http://evil/pixel.gif" alt="tracker"><img src="//evil/proto.gif"><img src="cid:logo@x">
<img src="data:image/png;base64,iVBORw0KGgo=">
<a href="https://example.org/" onclick="x()">ok link</a><a href="javascript:alert(1)">js</a>
<a href="data:text/html,<script>1</script>">data link</a>
<form action="http://evil/"><input name="password"></form>
<table background="http://evil/t.gif"><tr><td>cell</td></tr></table>
<iframe src="http://evil/"></iframe><object data="x.swf"></object><svg><script>1</script></svg>
<div style="width: expression(alert(1))">ie</div></body></html>"""


def test_active_content_is_removed() -> None:
    out = sanitize_html(HOSTILE)
    lowered = out.lower()
    for needle in ("<script", "onload", "onclick", "javascript:", "<form", "<input", "<iframe", "<object",
                   "<meta", "<base", "<style", "<svg", "expression(", "data:text/html"):  # fmt: skip
        assert needle not in lowered, needle
    assert "Hello" in out and "ok link" in out and "cell" in out
    assert '<a href="https://example.org/" rel="noopener noreferrer">ok link</a>' in out


def test_remote_resources_blocked_by_default() -> None:
    out = sanitize_html(HOSTILE)
    assert "evil" not in out
    assert 'alt="tracker"' in out  # the image element stays, without its source
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in out  # embedded images do not load anything
    assert not has_remote_content(out)
    assert has_remote_content(HOSTILE)


def test_remote_resources_allowed_on_request() -> None:
    out = sanitize_html(HOSTILE, allow_remote=True)
    assert 'src="http://evil/pixel.gif"' in out
    assert "url('http://evil/bg.gif')" in out
    assert "<script" not in out.lower()


def test_cid_references_rewritten_via_callback() -> None:
    seen: list[str] = []

    def cid_url(content_id: str) -> str | None:
        seen.append(content_id)
        return f"/messages/42/parts/{content_id}" if content_id == "logo@x" else None

    html = '<img src="cid:logo@x"><img src="cid:missing@x"><p style="background:url(cid:logo@x)">x</p>'
    out = sanitize_html(html, cid_url=cid_url)
    assert '<img src="/messages/42/parts/logo@x">' in out
    assert "missing@x" not in out
    assert "url('/messages/42/parts/logo@x')" in out
    assert seen == ["logo@x", "missing@x", "logo@x"]


def test_garbage_never_raises() -> None:
    assert sanitize_html("") == ""
    assert sanitize_html("<<<<div <p>>>x") != "<<<<div <p>>>x"
    assert sanitize_html("\x00\ud800 text") is not None
