from django import forms

from certlife.query import FilterForm, choice_filter, text_filter
from dns_providers.actions import merged_credentials
from dns_providers.choices import DnsAccountState
from dns_providers.models import DnsAccount


class DnsAccountForm(forms.Form):
    """Name, enabled, and one input per credential field the provider declares. Secret
    inputs are never filled in; on edit, leaving one blank keeps the stored value."""

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

    def _form_field(self, field):
        help_text = field.help
        if field.secret and self.account is not None:
            help_text = f"{help_text} Leave blank to keep the stored value.".strip()
        required = field.required and not (field.secret and self.account is not None)
        if field.choices:
            return forms.ChoiceField(
                label=field.label, choices=field.choices, initial=field.default,
                required=required, help_text=help_text,
            )  # fmt: skip
        widget = forms.PasswordInput(render_value=False) if field.secret else forms.TextInput
        return forms.CharField(
            label=field.label, required=required and not field.default,
            initial=field.default or None, widget=widget, help_text=help_text,
            strip=True,
        )  # fmt: skip

    def credential_input(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name, "")
            for field in self.provider_class.fields
        }

    def clean(self):
        cleaned = super().clean()
        submitted = self.credential_input()
        if self.account is not None:
            submitted = merged_credentials(self.account, submitted)
        _, errors = self.provider_class.clean_credentials(submitted)
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return cleaned


class DnsAccountFilterForm(FilterForm):
    name = text_filter(help_text="Part of the account's name.")
    status = choice_filter(DnsAccountState.choices)

    def narrow(self, queryset, values):
        if "status" in values:
            queryset = queryset.filter(enabled=values["status"] == DnsAccountState.ENABLED)
        if "name" in values:
            queryset = queryset.filter(name__icontains=values["name"])
        return queryset
