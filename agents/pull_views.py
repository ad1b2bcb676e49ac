"""Manage >> Windows Agent (docs/features.md V4): pull agents, their packages and tokens.
Creating, downloading and revoking are POSTs by administrators; a token is shown in the
answer to the POST that made it, never stored in a message or cookie."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from agents import agent_actions as actions
from agents.agent_api import certlife_url
from agents.models import Agent
from agents.package import PYTHON_NEEDED

TEMPLATE = "agents/pull_agents.html"


def _page(request, *, token: str = "", new_agent=None, errors=(), status: int = 200):
    context = {
        "agents": Agent.objects.all(),
        "python_needed": PYTHON_NEEDED,
        "server_url": certlife_url(request),
        "token": token,
        "new_agent": new_agent,
        "errors": list(errors),
    }
    return render(request, TEMPLATE, context, status=status)


class AgentListView(PermissionRequiredMixin, View):
    permission_required = "agents.view_agent"

    def get(self, request):
        return _page(request)


class AgentAddView(PermissionRequiredMixin, View):
    permission_required = "agents.add_agent"

    def post(self, request):
        try:
            agent, token = actions.create_agent(
                name=request.POST.get("name", ""), actor=request.user
            )
        except ValidationError as error:
            return _page(request, errors=error.messages, status=400)
        return _page(request, token=token, new_agent=agent)


class AgentPackageView(PermissionRequiredMixin, View):
    permission_required = "agents.change_agent"
    model = Agent

    def post(self, request, pk):
        agent = get_object_or_404(Agent, pk=pk)
        try:
            content = actions.download_agent_package(
                agent, server_url=certlife_url(request), actor=request.user
            )
        except ValidationError as error:
            return _page(request, errors=error.messages, status=400)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="certlife-agent.zip"'
        response["Cache-Control"] = "no-store"
        return response


class AgentRevokeView(PermissionRequiredMixin, View):
    permission_required = "agents.change_agent"
    model = Agent

    def post(self, request, pk):
        agent = actions.revoke_agent(get_object_or_404(Agent, pk=pk), actor=request.user)
        messages.success(request, f"Agent {agent.name} revoked: its token is refused from now on.")
        return redirect("agent-list")
