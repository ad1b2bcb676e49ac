from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import ListView
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token

from certlife import actions
from certlife.forms import AuditFilterForm
from certlife.models import AuditEvent
from certlife.query import FilteredListMixin, FormFilterBackend
from certlife.roles import role_of


class AuditLogView(PermissionRequiredMixin, FilteredListMixin, ListView):
    permission_required = "certlife.view_auditevent"
    template_name = "certlife/audit_log.html"
    paginate_by = 50
    queryset = AuditEvent.objects.all()
    filter_form_class = AuditFilterForm


class ProfileView(View):
    """The signed-in user's role and API token (shown once, when created)."""

    template_name = "certlife/profile.html"

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        if request.POST.get("action") == "revoke":
            actions.revoke_api_token(actor=request.user)
            messages.success(request, "API token revoked.")
            return redirect("profile")
        new_token = actions.create_api_token(actor=request.user)
        return render(request, self.template_name, self._context(request, new_token=new_token))

    def _context(self, request, **extra):
        token = Token.objects.filter(user=request.user).first()
        return {"role": role_of(request.user), "token_created": token and token.created, **extra}


@login_not_required
def health(request):
    """Liveness for load balancers and `make run`: answers without a login."""
    return HttpResponse("ok", content_type="text/plain")


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id", "occurred_at", "actor_name", "action", "target_type",
            "target_id", "target_label", "source", "outcome", "detail",
        ]  # fmt: skip


class AuditEventListApi(generics.ListAPIView):
    """The audit log, newest first; filter with ?actor=, ?action=, ?outcome=, ?since=, ?until=."""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.all()
    filter_backends = [FormFilterBackend]
    filter_form_class = AuditFilterForm
