"""``{% help_link "slug" %}``: a small "Help" link to a knowledge-base article, for the pages the
article explains. An unknown slug fails the page render (tests catch a broken link)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kustos.help import registry

register = template.Library()


@register.simple_tag
def help_link(slug: str) -> str:
    if slug not in registry.slugs():
        raise template.TemplateSyntaxError(f"no help article {slug!r}")
    return format_html('<a class="btn small help-link" href="/help/{}/" data-testid="help-link" title="{}">{}</a>',
                       slug, _("Help on this page"), _("Help"))
