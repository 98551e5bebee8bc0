"""HTML sanitising for displaying archived mail (nh3, i.e. the ammonia crate).

Display contract: the result contains no script, event handler, form, frame, base,
meta refresh or ``<style>`` element (CSS in ``<style>`` cannot be filtered safely,
so it is dropped with its content; inline ``style`` attributes are kept). With
``allow_remote=False`` (the default) every http/https/protocol-relative URL that a
browser would *load* (img src, background attributes, ``url(...)`` in inline
styles, also when hidden by CSS escapes or comments, see css.py) is removed, so
opening a message makes no network request; links
(``a href``) stay, with ``rel="noopener noreferrer"``. ``cid:`` references to
inline parts can be rewritten to local URLs through ``cid_url``. The result should
still be shown in a sandboxed iframe with a restrictive CSP: defence in depth.
"""

from __future__ import annotations

import re

import nh3

from .css import CidUrl, clean_style

_TAGS = (nh3.ALLOWED_TAGS | {"font", "span", "div", "center", "big", "tfoot"}) - {"map", "area"}
_GLOBAL_ATTRS = {
    "style",
    "align",
    "valign",
    "width",
    "height",
    "bgcolor",
    "color",
    "dir",
    "title",
    "lang",
    "border",
}
_ATTRS: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
_ATTRS["*"] = _GLOBAL_ATTRS | {"background"}
_ATTRS.setdefault("a", set()).update({"href", "name", "title"})
_ATTRS.setdefault("img", set()).update({"src", "alt", "width", "height", "border", "hspace", "vspace"})
_ATTRS.setdefault("font", set()).update({"face", "size", "color"})
_ATTRS.setdefault("table", set()).update({"cellpadding", "cellspacing", "border", "width", "bgcolor"})
_ATTRS.setdefault("td", set()).update({"nowrap", "colspan", "rowspan"})
_ATTRS.setdefault("th", set()).update({"nowrap", "colspan", "rowspan"})
_SCHEMES = {"http", "https", "mailto", "cid", "data", "tel"}
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "head",
    "title",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
}

_RESOURCE_ATTRS = {"src", "background"}
_HAS_REMOTE = re.compile(
    r"""(?:\bsrc|\bbackground)\s*=\s*["']?\s*(?:https?:)?//|url\s*\(\s*["']?\s*(?:https?:)?//"""
    r"""|(?:image-set|image|cross-fade|src)\s*\([^)]*?["']\s*(?:https?:)?//""",
    re.I,
)


def has_remote_content(html: str) -> bool:
    """True when the (unsanitised) HTML would load remote images or styles; the UI
    uses it to offer "load remote content"."""
    return bool(_HAS_REMOTE.search(html or ""))


def sanitize_html(html: str, allow_remote: bool = False, cid_url: CidUrl | None = None) -> str:
    """Safe-to-display HTML (see module docstring for the exact contract).

    ``cid_url(content_id)`` returns the URL that serves the inline part with that
    Content-ID (without angle brackets), or None to leave it unresolved.
    """

    html = html or ""
    try:
        html.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from broken decoding upstream
        html = html.encode("utf-8", "replace").decode("utf-8")

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        low = value.strip().lower()
        if attr == "style":
            return clean_style(value, allow_remote, cid_url)
        if attr in _RESOURCE_ATTRS or attr == "href":
            if low.startswith("cid:"):
                if attr == "href":
                    return None
                return cid_url(value.strip()[4:]) if cid_url else None
            if low.startswith("data:"):
                return value if attr == "src" and tag == "img" and low.startswith("data:image/") else None
            if attr in _RESOURCE_ATTRS and not allow_remote:
                return None  # remote (or relative, meaningless here) resource: never load it
        return value

    try:
        return nh3.clean(
            html,
            tags=_TAGS,
            clean_content_tags=_DROP_WITH_CONTENT,
            attributes=_ATTRS,
            attribute_filter=attribute_filter,
            url_schemes=_SCHEMES,
            link_rel="noopener noreferrer",
            strip_comments=True,
        )
    except Exception:  # nh3 raises only on option errors; fall back to plain escaping
        return nh3.clean(html, tags=set())
