"""Forms for sources, generated from the kind's declared fields (``kustos.sources.kinds``).

They only check shape; ``archive.services.sources`` validates the settings and seals the secret.
``config()`` gives the public settings, ``secret()`` the kind's secret (never stored in ``config``).
Labels and help come from the declaration in the request's language (English or German).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kustos.sources.kinds import fields as f
from kustos.sources.kinds.fields import Field, Kind, KindError, pick


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]


def _t(english: str, german: str) -> str:
    return pick(get_language(), english, german)


def _upload_text(upload: Any, limit: int, too_large: str, encoding: str) -> str:
    if upload.size > limit:
        raise forms.ValidationError(too_large)
    return upload.read().decode(encoding)


def _widget_attrs(spec: Field) -> dict[str, str]:
    return {"placeholder": spec.placeholder} if spec.placeholder else {}


def _form_field(spec: Field, new: bool = True) -> forms.Field:
    common: dict[str, Any] = {"label": _t(spec.label, spec.label_de), "help_text": _t(spec.help, spec.help_de),
                              "required": spec.required}
    # A new source starts with the default for the UI language; a stored one without the setting means
    # the plain default.
    initial = spec.initial(get_language()) if new else spec.default
    attrs = _widget_attrs(spec)
    if spec.type == f.INT:
        return forms.IntegerField(min_value=spec.minimum, max_value=spec.maximum, initial=initial, **common)
    if spec.type == f.BOOL:
        return forms.BooleanField(**{**common, "required": False}, initial=initial)
    if spec.type == f.CHOICE:
        return forms.ChoiceField(choices=[(v, _t(en, de)) for v, en, de in spec.choices],
                                 initial=initial, **common)
    if spec.type == f.EMAIL:
        return forms.EmailField(max_length=spec.max_length, widget=forms.EmailInput(attrs=attrs), **common)
    if spec.type in (f.LIST, f.PEM):
        rows = 3 if spec.type == f.PEM else 2
        return forms.CharField(widget=forms.Textarea(attrs={"rows": rows, **attrs}), **common)
    if spec.type == f.PASSWORD:
        return forms.CharField(max_length=spec.max_length, widget=forms.PasswordInput(render_value=False), **common)
    if spec.type == f.JSON_FILE:
        return forms.FileField(**common)
    return forms.CharField(max_length=spec.max_length, widget=forms.TextInput(attrs=attrs), **common)


class SourceForm(forms.Form):
    """Display name and schedule, then the kind's dashboard fields in declaration order."""

    name = forms.CharField(label=_lazy("Display name"), max_length=200, required=False,
                           help_text=_lazy("Shown in lists; defaults to the mailbox, tenant or admin address."))
    interval_minutes = forms.IntegerField(label=_lazy("Check every (minutes)"), min_value=1, max_value=1440,
                                          initial=15)

    def __init__(self, kind: Kind, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind, self.editing = kind, editing
        if "archive" not in kind.services:  # backup only: its backup plan schedules the runs, not this interval
            self.fields["interval_minutes"].widget = forms.HiddenInput()
        self.specs = [spec for spec in kind.fields if spec.dashboard]
        for spec in self.specs:
            if spec.type == f.PEM and spec.upload:
                self.fields[spec.upload] = forms.FileField(label=_t(spec.upload_label, spec.upload_label_de),
                                                           help_text=_t(spec.upload_help, spec.upload_help_de),
                                                           required=False)
            self.fields[spec.name] = _form_field(spec, new=not editing)
            if spec.type == f.PEM:
                self.fields[spec.name].required = False
        secret = kind.secret_field
        if editing and secret.name in self.fields:
            self.fields[secret.name].required = False
            bound = [_t(s.label, s.label_de) for s in self.specs if s.secret_bound]
            self.fields[secret.name].help_text = (
                _("Leave empty to keep the stored one. Required again when you change: %(fields)s.")
                % {"fields": ", ".join(bound)} if bound else _("Leave empty to keep the stored one."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for spec in self.specs:
            if spec.type == f.PEM and spec.upload and data.get(spec.upload):
                try:
                    data[spec.upload] = _upload_text(data[spec.upload], spec.max_upload,
                                                     _("This is not a CA certificate file (too large)."), "ascii")
                except UnicodeDecodeError:
                    self.add_error(spec.upload, _("The CA certificate must be PEM text (-----BEGIN CERTIFICATE-----)."))
            if spec.type == f.JSON_FILE and data.get(spec.name):
                self._clean_json_file(spec, data)
        return data

    def _clean_json_file(self, spec: Field, data: dict[str, Any]) -> None:
        try:
            text = _upload_text(data[spec.name], spec.max_upload,
                                _("This is not a %(what)s file (too large).") % {"what": spec.noun}, "utf-8")
        except UnicodeDecodeError:
            text = "\0"
        except forms.ValidationError as exc:
            self.add_error(spec.name, exc)
            return
        try:
            data[spec.name] = self.kind.check_secret(text)
        except KindError as exc:
            self.add_error(spec.name, _t(str(exc), exc.message_de))

    def config(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, Any] = {}
        for spec in self.specs:
            if spec.secret:
                continue
            value = data.get(spec.name)
            if spec.type == f.LIST:
                value = _names(value or "")
            elif spec.type == f.PEM:  # PEM text (validated by the service); empty removes a stored one
                value = (data.get(spec.upload) if spec.upload else "") or (value or "").strip()
            elif spec.type == f.EMAIL:
                value = (value or "").strip().lower()
            elif isinstance(value, str):
                value = value.strip()
            config[spec.name] = value
        return config

    def secret(self) -> str:
        return self.cleaned_data.get(self.kind.secret_field.name) or ""


def build(kind: Kind, data: Any = None, files: Any = None, *, initial: dict | None = None,
          editing: bool = False) -> SourceForm:
    return SourceForm(kind, data, files, initial=initial, editing=editing)


def initial_for(source: Any) -> dict[str, Any]:
    config = dict(source.config)
    for key, value in config.items():
        if isinstance(value, list):
            config[key] = "\n".join(value)
    return {**config, "name": source.name, "interval_minutes": source.interval_minutes}


class BulkForm(forms.Form):
    csv_file = forms.FileField(label=_lazy("CSV file"), required=False)
    csv_text = forms.CharField(label=_lazy("…or paste the CSV"), required=False,
                               widget=forms.Textarea(attrs={"rows": 6}))

    def text(self) -> str:
        upload = self.cleaned_data.get("csv_file")
        if upload:
            return upload.read(5 * 1024 * 1024).decode("utf-8-sig", "replace")
        return self.cleaned_data.get("csv_text") or ""
