"""The identity provider form of the dashboard: the fields of every kind; the view sends only the
kind's own keys (``sso.services.admin.FIELDS``) to the service, which validates them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kustos.sso.models import IdentityProvider
from kustos.sso.services import admin

_TEXTAREA = {"rows": 3}
#: form field -> config key (the same name unless listed)
CONFIG_KEYS = {"ldap_url": "url"}
_LINES = ("tenant_ids", "email_domains")


class ProviderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=IdentityProvider.Kind.choices)
    name = forms.CharField(label=_("Name (shown on the sign-in button)"), max_length=200)
    client_id = forms.CharField(label=_("Client ID"), required=False)
    secret = forms.CharField(label=_("Client secret / bind password"), required=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                             help_text=_("Write-only: never shown again. Leave empty to keep the stored one."))
    discovery_url = forms.CharField(label=_("Discovery URL"), required=False,
                                    help_text=_("Needed for other OpenID Connect providers; optional for Entra ID "
                                                "and Google."))
    tenant_ids = forms.CharField(label=_("Allowed Entra ID tenant IDs (one per line)"), required=False,
                                 widget=forms.Textarea(attrs=_TEXTAREA))
    hosted_domain = forms.CharField(label=_("Google Workspace domain"), required=False)
    email_domains = forms.CharField(label=_("E-mail domains for “Sign in with your organisation” (one per line)"),
                                    required=False, widget=forms.Textarea(attrs=_TEXTAREA))
    create_users = forms.BooleanField(label=_("Create users on their first sign-in"), required=False)
    default_role = forms.ChoiceField(label=_("Role of created users"), required=False)
    role_map = forms.CharField(label=_("Group to role (one “group=role” per line)"), required=False,
                               widget=forms.Textarea(attrs=_TEXTAREA))
    show_on_login = forms.BooleanField(label=_("Show a button on the sign-in page"), required=False)
    ldap_url = forms.CharField(label=_("LDAP server URL (ldaps:// or ldap:// with StartTLS)"), required=False)
    start_tls = forms.BooleanField(label=_("StartTLS"), required=False)
    search_base = forms.CharField(label=_("Search base"), required=False)
    user_filter = forms.CharField(label=_("User filter"), required=False)
    bind_dn = forms.CharField(label=_("Service account (bind DN)"), required=False)
    group_base = forms.CharField(label=_("Group search base"), required=False)

    def __init__(self, *args: Any, roles: set[str], kind: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["default_role"].choices = [("", "—")] + [(r, r) for r in sorted(roles)]
        if kind:  # editing: the kind is fixed
            del self.fields["kind"]
            self.fixed_kind = kind
        else:
            self.fixed_kind = ""

    def chosen_kind(self) -> str:
        return self.fixed_kind or self.cleaned_data.get("kind", "")

    def config(self) -> dict[str, Any]:
        """The kind's own settings from the form."""
        kind = self.chosen_kind()
        out: dict[str, Any] = {}
        for field in self.fields:
            key = CONFIG_KEYS.get(field, field)
            if key in admin.FIELDS.get(kind, ()):
                out[key] = self.cleaned_data.get(field)
        return out

    @staticmethod
    def initial_from(provider: IdentityProvider) -> dict[str, Any]:
        config = dict(provider.config or {})
        initial: dict[str, Any] = {"name": provider.name}
        for key, value in config.items():
            field = next((f for f, k in CONFIG_KEYS.items() if k == key), key)
            if key in _LINES:
                value = "\n".join(value or [])
            elif key == "role_map":
                value = "\n".join(f"{row['group']}={row['role']}" for row in value or [])
            initial[field] = value
        return initial

    def visible_for(self, kind: str) -> list[forms.BoundField]:
        """The fields shown for a provider of ``kind`` (editing)."""
        keys = set(admin.FIELDS.get(kind, ()))
        return [self[f] for f in self.fields if f in ("name", "secret") or CONFIG_KEYS.get(f, f) in keys]


class PolicyForm(forms.Form):
    local_passwords = forms.BooleanField(label=_("Users may sign in with a Kustos password"), required=False)
    session_max_age_hours = forms.IntegerField(label=_("Longest session (hours)"), min_value=1, max_value=720)
