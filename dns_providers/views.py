"""Manage >> DNS. Views declare; every write goes through dns_providers.actions."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import DetailView, ListView

from certlife.forms import apply_action_errors
from dns_providers import actions
from dns_providers.forms import CREDENTIAL_ERROR_PREFIX, DnsAccountForm
from dns_providers.models import DnsAccount
from dns_providers.providers import PROVIDERS


class DnsAccountListView(PermissionRequiredMixin, ListView):
    permission_required = "dns_providers.view_dnsaccount"
    template_name = "dns_providers/dns_account_list.html"
    model = DnsAccount
    context_object_name = "accounts"

    def get_context_data(self, **kwargs):
        configured = set(DnsAccount.objects.values_list("provider", flat=True))
        addable = [(code, cls.label) for code, cls in PROVIDERS.items() if code not in configured]
        return super().get_context_data(addable_providers=addable, **kwargs)


class DnsAccountTestStatusView(PermissionRequiredMixin, DetailView):
    """The "Test connection" cell, polled by htmx while the test runs in a worker."""

    permission_required = "dns_providers.view_dnsaccount"
    template_name = "dns_providers/test_status.html"
    model = DnsAccount
    context_object_name = "account"


class DnsAccountFormView(PermissionRequiredMixin, View):
    template_name = "dns_providers/dns_account_form.html"

    def get_permission_required(self):
        if "pk" in self.kwargs:
            return ["dns_providers.change_dnsaccount"]
        return ["dns_providers.add_dnsaccount"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = None
        if "pk" in kwargs:
            self.account = get_object_or_404(DnsAccount, pk=kwargs["pk"])
            self.provider_class = self.account.provider_class
        else:
            self.provider_class = PROVIDERS.get(kwargs["provider"])
        if self.provider_class is None:
            raise Http404("No such DNS provider.")

    def get(self, request, **kwargs):
        return self._render(DnsAccountForm(self.provider_class, account=self.account))

    def post(self, request, **kwargs):
        form = DnsAccountForm(self.provider_class, request.POST, account=self.account)
        if form.is_valid():
            try:
                self._save(form)
            except ValidationError as error:
                apply_action_errors(form, error, prefix=CREDENTIAL_ERROR_PREFIX)
            else:
                messages.success(request, f"DNS account {form.cleaned_data['name']} saved.")
                return redirect("dns-account-list")
        return self._render(form)

    def _save(self, form):
        values = form.cleaned_data
        if self.account is None:
            actions.create_dns_account(
                provider=self.provider_class.code,
                name=values["name"],
                enabled=values["enabled"],
                credentials=form.credential_input(),
                actor=self.request.user,
            )
        else:
            actions.update_dns_account(
                self.account,
                name=values["name"],
                enabled=values["enabled"],
                credentials=form.credential_input(),
                actor=self.request.user,
            )

    def _render(self, form):
        context = {
            "form": form,
            "account": self.account,
            "provider_label": self.provider_class.label,
        }
        return render(self.request, self.template_name, context)


class DnsAccountActionView(PermissionRequiredMixin, View):
    """POST-only buttons of the list: enable, disable, test connection."""

    permission_required = "dns_providers.change_dnsaccount"

    def post(self, request, pk, operation):
        account = get_object_or_404(DnsAccount, pk=pk)
        if operation == "test":
            actions.start_connection_test(account, actor=request.user)
        else:
            actions.set_dns_account_enabled(
                account, enabled=operation == "enable", actor=request.user
            )
            state = "enabled" if account.enabled else "disabled"
            messages.success(request, f"DNS account {account.name} {state}.")
        return redirect("dns-account-list")


class DnsAccountDeleteView(PermissionRequiredMixin, View):
    permission_required = "dns_providers.delete_dnsaccount"
    template_name = "dns_providers/dns_account_confirm_delete.html"

    def get(self, request, pk):
        account = get_object_or_404(DnsAccount, pk=pk)
        return render(request, self.template_name, {"account": account})

    def post(self, request, pk):
        account = get_object_or_404(DnsAccount, pk=pk)
        actions.delete_dns_account(account, actor=request.user)
        messages.success(request, f"DNS account {account.name} deleted.")
        return redirect("dns-account-list")
