"""Manage >> Accounts. Views declare a form and a template and call one action."""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from accounts import actions, validation
from accounts.acme.directory import fetch_directory
from accounts.api import key_download
from accounts.choices import AccountStatus
from accounts.errors import AcmeError
from accounts.forms import (
    ImportAccountForm,
    RegisterAccountForm,
    UpdateEmailForm,
)
from accounts.models import AcmeAccount
from certlife.forms import apply_action_errors


class AccountListView(PermissionRequiredMixin, ListView):
    permission_required = "accounts.view_acmeaccount"
    model = AcmeAccount
    template_name = "accounts/account_list.html"
    context_object_name = "accounts"


class AccountFormView(PermissionRequiredMixin, View):
    """GET shows `form_class`; POST runs `run_action` and goes back to the list."""

    form_class: type[forms.Form]
    template_name = "accounts/account_form.html"
    title = ""
    submit_label = "Save"

    def get_account(self):
        return None

    def run_action(self, form, account):
        raise NotImplementedError

    def render_form(self, request, form, account):
        context = {"form": form, "account": account, "title": self.title}
        return render(request, self.template_name, {**context, "submit_label": self.submit_label})

    def get(self, request, **kwargs):
        account = self.get_account()
        return self.render_form(request, self.form_class(initial=self.initial(account)), account)

    def initial(self, account) -> dict:
        return {}

    def post(self, request, **kwargs):
        account = self.get_account()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.run_action(form, account)
            except ValidationError as error:
                apply_action_errors(form, error, renamed={"directory": "directory_choice"})
            else:
                messages.success(request, message)
                return redirect("account-list")
        return self.render_form(request, form, account)


class AddAccountView(AccountFormView):
    """Register or import: `add_account` is the action, `added_message` names the result."""

    permission_required = "accounts.add_acmeaccount"
    added_message = ""
    add_account: Callable[..., AcmeAccount]

    def run_action(self, form, account):
        added = self.add_account(actor=self.request.user, **form.action_arguments())
        return self.added_message.format(name=added.name)


class RegisterAccountView(AddAccountView):
    form_class = RegisterAccountForm
    template_name = "accounts/register_form.html"
    title = "Register an ACME account"
    submit_label = "Register"
    added_message = "Account {name!r} registered at the CA."
    add_account = staticmethod(actions.register_account)


class ImportAccountView(AddAccountView):
    form_class = ImportAccountForm
    template_name = "accounts/import_form.html"
    title = "Add an existing ACME account"
    submit_label = "Add account"
    added_message = "Account {name!r} added: the CA knows its key."
    add_account = staticmethod(actions.import_account)


class UpdateEmailView(AccountFormView):
    permission_required = "accounts.change_acmeaccount"
    form_class = UpdateEmailForm
    title = "Update the account's email"
    submit_label = "Update email"

    def get_account(self):
        return get_object_or_404(AcmeAccount, pk=self.kwargs["pk"])

    def initial(self, account):
        return {"email": account.email}

    def run_action(self, form, account):
        actions.update_account_email(account, actor=self.request.user, **form.action_arguments())
        return f"The email of {account.name!r} is now {account.email}, at the CA too."


class ChooseAccountForEmailView(PermissionRequiredMixin, View):
    """The top bar's "Account email": straight to the form when there is one account."""

    permission_required = "accounts.change_acmeaccount"

    def get(self, request):
        valid_accounts = AcmeAccount.objects.filter(status=AccountStatus.VALID)
        if len(valid_accounts) == 1:
            return redirect("account-email", pk=valid_accounts[0].pk)
        return render(request, "accounts/choose_account.html", {"accounts": valid_accounts})


class DirectoryInfoView(PermissionRequiredMixin, View):
    """htmx fragment for the register form: the chosen CA's terms link and whether it
    requires External Account Binding, read from its directory (cached a few minutes).
    A POST with the CSRF token: fetching a URL someone typed is never a side effect of
    a GET (a link or an image on another site could make one)."""

    permission_required = "accounts.add_acmeaccount"

    def post(self, request):
        form = RegisterAccountForm(request.POST)
        context = {}
        try:
            form.is_valid()
            directory_url = validation.directory_url_for(form.directory())
            context["meta"] = fetch_directory(directory_url).meta
            context["directory_url"] = directory_url
        except (KeyError, ValidationError):
            context["error"] = "Choose a directory, or enter the https URL of one."
        except AcmeError as error:
            context["error"] = error.message
        return render(request, "accounts/directory_info.html", context)


class AccountConfirmView(PermissionRequiredMixin, View):
    """GET asks for confirmation with `warning`; POST runs `run_action`."""

    template_name = "accounts/account_confirm.html"
    title = ""
    warning = ""
    submit_label = ""
    danger = True

    def account(self):
        return get_object_or_404(AcmeAccount, pk=self.kwargs["pk"])

    def back_to_list(self, done_message: str):
        messages.success(self.request, done_message)
        return redirect("account-list")

    def get(self, request, pk):
        context = {
            "account": self.account(),
            "title": self.title,
            "warning": self.warning,
            "submit_label": self.submit_label,
            "danger": self.danger,
        }
        return render(request, self.template_name, context)

    def post(self, request, pk):
        account = self.account()
        try:
            return self.run_action(account)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("account-list")


class DeleteAccountView(AccountConfirmView):
    permission_required = "accounts.delete_acmeaccount"
    title = "Delete the account from certlife"
    warning = (
        "The account is removed from certlife only: it stays active at the CA. Export its "
        "key first if you may want to add it again later."
    )
    submit_label = "Delete from certlife"

    def run_action(self, account):
        name = account.name
        actions.delete_account(account, actor=self.request.user)
        return self.back_to_list(f"Account {name!r} deleted from certlife.")


class DeactivateAccountView(AccountConfirmView):
    permission_required = "accounts.deactivate_account"
    title = "Deactivate the account at the CA"
    warning = (
        "Deactivation is permanent: the CA will refuse this account and its key for ever, "
        "and it can never be added again. Certificates already issued stay valid."
    )
    submit_label = "Deactivate for ever"

    def run_action(self, account):
        actions.deactivate_account(account, actor=self.request.user)
        return self.back_to_list(f"Account {account.name!r} is deactivated at the CA.")


class ExportKeyView(AccountConfirmView):
    permission_required = "accounts.export_account_key"
    title = "Export the account key"
    warning = (
        "Anyone holding this key controls the account at the CA. Keep the file somewhere "
        "safe. The export is recorded in the audit log."
    )
    submit_label = "Download key"
    danger = False

    def run_action(self, account):
        return key_download(account, actions.export_account_key(account, actor=self.request.user))
