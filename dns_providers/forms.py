from django import forms

from certlife.query import FilterForm, choice_filter, text_filter
from dns_providers.choices import DnsAccountState
from dns_providers.models import DnsAccount
from dns_providers.providers.fields import CredentialField

CREDENTIAL_ERROR_PREFIX = "credentials."


class DnsAccountForm(forms.Form):
    """Name, enabled, and one input per credential field the provider declares.

    The rules are the declared fields', applied by dns_providers.actions; this form only
    collects the input, and the view shows the action's errors on the inputs they name
    (certlife.forms.apply_action_errors). Secret inputs are never filled in, not even
    after an error; on edit, leaving one empty keeps the stored value."""

    name = forms.CharField(max_length=100)
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, provider_class, *args, account: DnsAccount | None = None, **kwargs):
        self.provider_class = provider_class
        self.account = account
        if account is not None:
            initial = {"name": account.name, "enabled": account.enabled}
            initial.update(
                {
                    name: value
                    for name, value in account.credential_values().items()
                    if name not in provider_class.secret_fields
                }
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for field in provider_class.fields:
            self.fields[field.name] = self._form_field(field)

    def _form_field(self, field: CredentialField) -> forms.Field:
        help_text = field.help
        keeps_stored_value = field.secret and self.account is not None
        if keeps_stored_value:
            help_text = f"{help_text} Leave blank to keep the stored value.".strip()
        # Hints for the browser; the action checks them again and says what is wrong.
        attrs = {"maxlength": field.max_length}
        if field.required and not field.default and not keeps_stored_value:
            attrs["required"] = True
        if field.choices:
            return forms.ChoiceField(
                label=field.label, choices=field.choices, initial=field.default,
                required=False, help_text=help_text,
            )  # fmt: skip
        widget = (
            forms.PasswordInput(render_value=False, attrs=attrs)
            if field.secret
            else forms.TextInput(attrs=attrs)
        )
        return forms.CharField(
            label=field.label, required=False, initial=field.default or None, widget=widget,
            help_text=help_text, strip=False,
        )  # fmt: skip

    def credential_input(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name, "")
            for field in self.provider_class.fields
        }


class DnsAccountFilterForm(FilterForm):
    name = text_filter(help_text="Part of the account's name.")
    status = choice_filter(DnsAccountState.choices)

    def narrow(self, queryset, values):
        if "status" in values:
            queryset = queryset.filter(enabled=values["status"] == DnsAccountState.ENABLED)
        if "name" in values:
            queryset = queryset.filter(name__icontains=values["name"])
        return queryset
