"""The retry button of a deployment on the certificate page (docs/features.md V6)."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from agents import deployment_actions
from agents.models import Deployment


class RetryDeploymentView(PermissionRequiredMixin, View):
    permission_required = "agents.change_deployment"

    def post(self, request, pk: int):
        deployment = get_object_or_404(Deployment, pk=pk)
        try:
            deployment_actions.retry_deployment(deployment, actor=request.user)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, f"The deployment to {deployment.host} runs again.")
        back = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(back)
        return redirect("certificate-list")
