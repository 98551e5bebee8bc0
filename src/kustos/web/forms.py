"""Dashboard forms. Validation of business rules stays in the services; these only
check shape and offer the choices a user's scope allows."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kustos.accounts.access import MANAGEABLE_ROLES
from kustos.accounts.roles import Role
from kustos.tenants.models import EU_COUNTRIES, Customer, Partner, StorageLocation


class LoginForm(forms.Form):
    # Named like User.USERNAME_FIELD because django-axes reads that name to count failures per account.
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True,
                                                                                "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Code from your authenticator app"), max_length=12,
                            widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "numeric",
                                                          "autocomplete": "one-time-code"}))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=[("en", "English"), ("de", "Deutsch")])


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. PSA integration")}))


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)


class LocationForm(forms.Form):
    id = forms.SlugField(label=_("Identifier"), max_length=40,
                         widget=forms.TextInput(attrs={"placeholder": "de-fra-1"}))
    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.CharField(label=_("Country (ISO code)"), min_length=2, max_length=2,
                              widget=forms.TextInput(attrs={"placeholder": "DE"}))
    vault_url = forms.CharField(
        label=_("Vault URL"), max_length=300, required=False,
        widget=forms.TextInput(attrs={"placeholder": "s3://bucket/prefix"}),
        help_text=_("Where this location's customers' data is stored; empty = the installation's vault."))
    outside_eu_override = forms.BooleanField(
        label=_("Allow a location outside the EU"), required=False,
        help_text=_("Only with a documented approval (§ 146 (2) AO); otherwise refused."))

    def clean(self):
        data = super().clean()
        country = (data.get("country") or "").upper()
        if country and country not in EU_COUNTRIES and not data.get("outside_eu_override"):
            raise forms.ValidationError(
                _("%(country)s is outside the EU. Such a location needs the explicit outside-EU approval.")
                % {"country": country})
        data["country"] = country
        return data


class CustomerForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    name = forms.CharField(label=_("Display name"), max_length=200,
                           help_text=_("A pseudonym is fine; it is the only required field."))
    legal_name = forms.CharField(label=_("Legal company name"), max_length=300, required=False)
    customer_number = forms.CharField(label=_("Customer number"), max_length=60, required=False)
    location = forms.ModelChoiceField(label=_("Storage location"), queryset=StorageLocation.objects.all(),
                                      empty_label=None)
    archiving_enabled = forms.BooleanField(label=_("E-mail archiving"), required=False, initial=True)
    backup_enabled = forms.BooleanField(label=_("Cloud backup"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, partners=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
        if editing:
            del self.fields["location"]


class DeleteCustomerForm(forms.Form):
    confirm = forms.CharField(label=_("Type the customer's name to confirm"), max_length=200)


class UserForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"))
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none(), required=False,
                                     help_text=_("For partner roles."))
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False,
                                      help_text=_("For customer roles and auditors."))
    mailboxes = forms.CharField(label=_("Own mailboxes"), required=False,
                                help_text=_("End users: addresses they may search, comma-separated."))

    def __init__(self, *args, actor=None, partners=None, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = MANAGEABLE_ROLES.get(actor.role, frozenset()) if actor else frozenset()
        self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in allowed]
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners
        self.fields["customer"].queryset = customers if customers is not None else Customer.objects.none()

    def mailbox_list(self) -> list[str]:
        raw = self.cleaned_data.get("mailboxes") or ""
        return [m.strip() for m in raw.replace(";", ",").split(",") if m.strip()]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ActiveForm(forms.Form):
    active = forms.BooleanField(required=False)


class GrantForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    date_from = forms.DateField(label=_("Mail from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Mail until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_at = forms.DateTimeField(label=_("Access expires"),
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    tax_relevant_only = forms.BooleanField(label=_("Only tax-relevant mail"), required=False, initial=True)
    mailboxes = forms.CharField(label=_("Only these mailboxes"), required=False,
                                help_text=_("Comma-separated addresses; empty = every mailbox of the customer."))

    def __init__(self, *args, customers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customers is not None:
            self.fields["customer"].queryset = customers

    def mailbox_list(self) -> list[str]:
        raw = self.cleaned_data.get("mailboxes") or ""
        return [m.strip() for m in raw.replace(";", ",").split(",") if m.strip()]


class GrantRevokeForm(forms.Form):
    customer = forms.CharField(max_length=40)
