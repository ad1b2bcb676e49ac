"""Forms of Manage >> Accounts. They collect input; `accounts.actions` checks it."""

from django import forms

from accounts.choices import AccountStatus, DirectoryChoice
from certlife.query import NameAndStatusFilterForm, choice_filter, text_filter
from certlife.widgets import SecretTextarea


class DirectoryFormMixin(forms.Form):
    directory_choice = forms.ChoiceField(
        label="Directory", choices=DirectoryChoice.choices, initial=DirectoryChoice.PRODUCTION
    )
    custom_directory_url = forms.CharField(
        label="Custom directory URL",
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://ca.example/acme/directory"}),
    )

    def directory(self) -> str:
        """The `directory` argument of the actions: production, staging or the URL."""
        if self.cleaned_data["directory_choice"] == DirectoryChoice.CUSTOM:
            return self.cleaned_data["custom_directory_url"].strip()
        return self.cleaned_data["directory_choice"]


class NewAccountForm(DirectoryFormMixin):
    """Name, email and directory: what registering and importing an account share."""

    name = forms.CharField(max_length=100)
    email = forms.CharField(widget=forms.EmailInput)
    field_order = ["name", "email", "directory_choice", "custom_directory_url"]

    def action_arguments(self) -> dict:
        data = self.cleaned_data
        common = {"name": data["name"], "email": data["email"], "directory": self.directory()}
        return {**common, **self.more_action_arguments()}

    def more_action_arguments(self) -> dict:
        """The arguments of the subclass's own fields."""
        return {}


class RegisterAccountForm(NewAccountForm):
    eab_kid = forms.CharField(label="EAB key ID", required=False)
    eab_hmac_key = forms.CharField(
        label="EAB HMAC key", required=False, widget=forms.PasswordInput(render_value=False)
    )
    # Required in the browser; the action gives the message when it is missing.
    agree_tos = forms.BooleanField(
        label="I agree to the CA's terms of service",
        required=False,
        widget=forms.CheckboxInput(attrs={"required": True}),
    )

    def more_action_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "agree_tos": data["agree_tos"],
            "eab_kid": data["eab_kid"],
            "eab_hmac_key": data["eab_hmac_key"],
        }


class ImportAccountForm(NewAccountForm):
    key_pem = forms.CharField(
        label="Account key (PEM)",
        strip=False,
        widget=SecretTextarea(attrs={"rows": 8, "cols": 66, "class": "mono"}),
    )

    def more_action_arguments(self) -> dict:
        return {"key_pem": self.cleaned_data["key_pem"]}


class UpdateEmailForm(forms.Form):
    email = forms.CharField(widget=forms.EmailInput)

    def action_arguments(self) -> dict:
        return {"email": self.cleaned_data["email"]}


class AccountFilterForm(NameAndStatusFilterForm):
    name = text_filter(help_text="Part of the account's name.")
    status = choice_filter(AccountStatus.choices)
