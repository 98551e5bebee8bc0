"""Forms for archive sources. They only check shape; ``archive.services.sources`` validates
the settings and seals the secret. ``config()`` gives the public settings, ``secret()`` the
password / client secret / service-account JSON (never stored in ``config``)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_CA_UPLOAD = 256 * 1024

SECURITY = [("tls", _("TLS (implicit, e.g. 993/995)")), ("starttls", "STARTTLS"),
            ("none", _("None (unencrypted, lab only)"))]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]


class _SourceForm(forms.Form):
    name = forms.CharField(label=_("Display name"), max_length=200, required=False,
                           help_text=_("Shown in lists; defaults to the mailbox, tenant or admin address."))
    interval_minutes = forms.IntegerField(label=_("Check every (minutes)"), min_value=1, max_value=1440,
                                          initial=15)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.editing = editing
        secret_field = self.fields.get(self.secret_field)
        if editing and secret_field is not None:
            secret_field.required = False
            secret_field.help_text = self.keep_secret_help

    secret_field = ""
    keep_secret_help = _("Leave empty to keep the stored one.")

    def config(self) -> dict[str, Any]:
        raise NotImplementedError

    def secret(self) -> str:
        return self.cleaned_data.get(self.secret_field) or ""


class MailboxSourceForm(_SourceForm):
    """IMAP or POP3 mailbox (``kind`` chosen by the view)."""

    host = forms.CharField(label=_("Server"), max_length=253,
                           widget=forms.TextInput(attrs={"placeholder": "imap.example.com"}))
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, required=False,
                              help_text=_("Empty: the standard port for the security mode."))
    security = forms.ChoiceField(label=_("Security"), choices=SECURITY, initial="tls")
    username = forms.CharField(label=_("User name"), max_length=320)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False),
                               max_length=1000)
    mailbox = forms.EmailField(label=_("Archive as mailbox"), required=False,
                               help_text=_("The e-mail address the mail is filed under; empty: the user name."))
    include = forms.CharField(label=_("Only these folders"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One per line or comma-separated; empty: all folders."))
    exclude = forms.CharField(label=_("Skip these folders"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("For example Junk, Trash."))
    ca_upload = forms.FileField(label=_("CA certificate (PEM file)"), required=False,
                                help_text=_("Only for servers whose certificate is issued by your own CA."))
    ca_pem = forms.CharField(label=_("…or paste the CA certificate (PEM)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "placeholder": "-----BEGIN CERTIFICATE-----"}),
                             help_text=_("Empty: the public certificate authorities are trusted."))
    secret_field = "password"
    keep_secret_help = _("Leave empty to keep the stored one. Required again when you change the server, port, "
                         "security, user name or CA certificate.")

    def __init__(self, *args: Any, kind: str = "imap", **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kind != "imap":
            del self.fields["include"]
            del self.fields["exclude"]

    def clean_ca_upload(self) -> str:
        upload = self.cleaned_data.get("ca_upload")
        if not upload:
            return ""
        if upload.size > MAX_CA_UPLOAD:
            raise forms.ValidationError(_("This is not a CA certificate file (too large)."))
        try:
            return upload.read().decode("ascii")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The CA certificate must be PEM text (-----BEGIN CERTIFICATE-----).")) from exc

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, Any] = {"host": data["host"].strip(), "port": data.get("port"),
                                  "security": data["security"], "username": data["username"].strip(),
                                  "mailbox": (data.get("mailbox") or "").strip().lower(),
                                  # PEM text (validated by the service); empty removes a stored one
                                  "ca_pem": data.get("ca_upload") or (data.get("ca_pem") or "").strip()}
        if "include" in self.fields:
            config["include"] = _names(data.get("include", ""))
            config["exclude"] = _names(data.get("exclude", ""))
        return config


class GraphSourceForm(_SourceForm):
    tenant_id = forms.CharField(label=_("Tenant ID"), max_length=100,
                                widget=forms.TextInput(attrs={"placeholder": "00000000-0000-0000-0000-000000000000"}))
    client_id = forms.CharField(label=_("Application (client) ID"), max_length=100)
    client_secret = forms.CharField(label=_("Client secret"), max_length=2000,
                                    widget=forms.PasswordInput(render_value=False))
    secret_field = "client_secret"
    keep_secret_help = _("Leave empty to keep the stored one. Required again when you change the tenant ID.")

    def config(self) -> dict[str, Any]:
        return {"tenant_id": self.cleaned_data["tenant_id"].strip(), "client_id": self.cleaned_data["client_id"].strip()}


class GmailSourceForm(_SourceForm):
    admin_email = forms.EmailField(label=_("Workspace admin e-mail"),
                                   help_text=_("The service account impersonates this admin to list the users."))
    service_account = forms.FileField(label=_("Service-account key (JSON)"),
                                      help_text=_("The key file of the service account with domain-wide delegation."))
    secret_field = "service_account"

    def clean_service_account(self) -> str:
        upload = self.cleaned_data.get("service_account")
        if not upload:
            return ""
        if upload.size > 64 * 1024:
            raise forms.ValidationError(_("This is not a service-account key file (too large)."))
        try:
            info = json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise forms.ValidationError(_("The key file is not valid JSON.")) from exc
        if not isinstance(info, dict) or not info.get("client_email") or not info.get("private_key"):
            raise forms.ValidationError(_("The key file lacks client_email or private_key."))
        return json.dumps(info)

    def config(self) -> dict[str, Any]:
        return {"admin_email": self.cleaned_data["admin_email"].strip().lower()}


FORMS: dict[str, type[_SourceForm]] = {"imap": MailboxSourceForm, "pop3": MailboxSourceForm,
                                       "graph": GraphSourceForm, "gmail": GmailSourceForm}


def build(kind: str, data: Any = None, files: Any = None, *, initial: dict | None = None,
          editing: bool = False) -> _SourceForm:
    cls = FORMS[kind]
    extra = {"kind": kind} if cls is MailboxSourceForm else {}
    return cls(data, files, initial=initial, editing=editing, **extra)


def initial_for(source: Any) -> dict[str, Any]:
    config = dict(source.config)
    for key in ("include", "exclude"):
        if isinstance(config.get(key), list):
            config[key] = "\n".join(config[key])
    return {**config, "name": source.name, "interval_minutes": source.interval_minutes}


class BulkForm(forms.Form):
    csv_file = forms.FileField(label=_("CSV file"), required=False)
    csv_text = forms.CharField(label=_("…or paste the CSV"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6, "placeholder":
                                                            "host,port,security,username,password,mailbox"}))

    def text(self) -> str:
        upload = self.cleaned_data.get("csv_file")
        if upload:
            return upload.read(5 * 1024 * 1024).decode("utf-8-sig", "replace")
        return self.cleaned_data.get("csv_text") or ""
