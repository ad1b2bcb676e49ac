from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import ListView, TemplateView

from acme_orders.choices import CertificateStatus, ExpiryBand
from acme_orders.models import Certificate
from acme_orders.repository import certificate_counts, search_certificates
from certlife.health import background_status


class DashboardView(TemplateView):
    template_name = "acme_orders/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("acme_orders.view_certificate"):
            context["counts"] = certificate_counts()
        context["background"] = background_status()
        return context


class CertificateListView(PermissionRequiredMixin, ListView):
    """Certificates >> Certificates: the repository, filtered and searched (spec P4)."""

    permission_required = "acme_orders.view_certificate"
    template_name = "acme_orders/certificate_list.html"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET
        return search_certificates(
            Certificate.objects.select_related("current_version"),
            status=params.get("status", ""),
            expiry=params.get("expiry", ""),
            text=params.get("q", "").strip(),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            statuses=CertificateStatus.choices, expiry_bands=ExpiryBand.choices, **kwargs
        )
