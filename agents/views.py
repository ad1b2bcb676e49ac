"""Manage >> Deploy, and the agent-mapping dialog of a pending request (docs/features.md
V3-V8). Views declare; every write goes through agents.actions."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import DetailView, ListView

from agents import actions
from agents.choices import MappingKind
from agents.forms import CREDENTIAL_PREFIX, AgentMappingFilterForm, AgentMappingForm
from agents.models import AgentMapping
from certlife.forms import apply_action_errors
from certlife.query import FilteredListMixin


def _is_dialog(request) -> bool:
    """Asked for by htmx (the dialog of a pending request): answer a fragment."""
    return bool(request.headers.get("HX-Request"))


class AgentMappingListView(PermissionRequiredMixin, FilteredListMixin, ListView):
    permission_required = "agents.view_agentmapping"
    template_name = "agents/mapping_list.html"
    queryset = AgentMapping.objects.select_related("agent")
    filter_form_class = AgentMappingFilterForm
    paginate_by = 50
    context_object_name = "mappings"


class AgentMappingFormView(PermissionRequiredMixin, View):
    """Add or edit a mapping: a page under Manage >> Deploy, or the dialog's body when
    htmx asks (the form, then the host-key step). A GET with `kind`, `dns_provider` or
    `domain` in the query string shows the inputs for them (the kind menu reloads it)."""

    def get_permission_required(self):
        if "pk" in self.kwargs:
            return ["agents.change_agentmapping"]
        return ["agents.add_agentmapping"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.mapping = None
        if "pk" in kwargs:
            self.mapping = get_object_or_404(AgentMapping, pk=kwargs["pk"])

    def get(self, request, **kwargs):
        if self.mapping is None and request.GET:
            initial = {
                name: request.GET[name]
                for name in ("kind", "domain", "dns_provider")
                if request.GET.get(name)
            }
            form = AgentMappingForm(initial=initial)
        else:
            form = AgentMappingForm(mapping=self.mapping)
        return self._render(form)

    def post(self, request, **kwargs):
        form = AgentMappingForm(request.POST, mapping=self.mapping)
        if form.is_valid():
            try:
                mapping = self._save(form)
            except ValidationError as error:
                fields = form.provider_class.fields if form.provider_class else ()
                renamed = {field.name: CREDENTIAL_PREFIX + field.name for field in fields}
                apply_action_errors(form, error, prefix="dns_credentials.", renamed=renamed)
            else:
                if _is_dialog(request):
                    return render(request, "agents/_mapping_saved.html", {"mapping": mapping})
                messages.success(request, f"Agent mapping for {mapping.domain} saved.")
                return redirect("agent-mapping-list")
        return self._render(form)

    def _save(self, form) -> AgentMapping:
        values = form.mapping_input()
        if self.mapping is None:
            return actions.create_mapping(
                kind=form.cleaned_data["kind"], actor=self.request.user, **values
            )
        return actions.update_mapping(self.mapping, actor=self.request.user, **values)

    def _render(self, form):
        template = (
            "agents/_mapping_form.html" if _is_dialog(self.request) else "agents/mapping_form.html"
        )
        return render(self.request, template, {"form": form, "mapping": self.mapping})


class AgentMappingDeleteView(PermissionRequiredMixin, View):
    permission_required = "agents.delete_agentmapping"
    template_name = "agents/mapping_confirm_delete.html"

    def get(self, request, pk):
        mapping = get_object_or_404(AgentMapping, pk=pk)
        return render(request, self.template_name, {"mapping": mapping})

    def post(self, request, pk):
        mapping = get_object_or_404(AgentMapping, pk=pk)
        actions.delete_mapping(mapping, actor=request.user)
        messages.success(request, f"Agent mapping for {mapping.domain} deleted.")
        return redirect("agent-mapping-list")


class HostKeyView(PermissionRequiredMixin, DetailView):
    """The host-key cell of a Linux mapping, polled by htmx until the worker has
    fetched the key; then it shows the fingerprint and the Trust button."""

    permission_required = "agents.view_agentmapping"
    template_name = "agents/_host_key.html"
    model = AgentMapping
    context_object_name = "mapping"


class HostKeyActionView(PermissionRequiredMixin, View):
    """POST-only: trust the fingerprint shown, or fetch the host key again."""

    permission_required = "agents.change_agentmapping"

    def post(self, request, pk, operation):
        mapping = get_object_or_404(AgentMapping, pk=pk, kind=MappingKind.LINUX)
        error = ""
        try:
            if operation == "trust":
                mapping = actions.trust_host_key(
                    mapping, fingerprint=request.POST.get("fingerprint", ""), actor=request.user
                )
            else:
                mapping = actions.fetch_host_key_again(mapping, actor=request.user)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        if _is_dialog(request):
            return render(request, "agents/_host_key.html", {"mapping": mapping, "error": error})
        if error:
            messages.error(request, error)
        elif operation == "trust":
            messages.success(request, f"Host key of {mapping.host} trusted.")
        return redirect("agent-mapping-list")
