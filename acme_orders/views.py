from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, FormView, ListView, TemplateView

from accounts.acme.directory import fetch_directory
from accounts.errors import AcmeError
from acme_orders import actions
from acme_orders.choices import (
    ChallengeType,
    RequestStatus,
    Solver,
)
from acme_orders.forms import (
    NEEDS_ATTENTION,
    AssignDnsForm,
    AutoRenewForm,
    CertificateExportForm,
    CertificateFilterForm,
    CertificateRequestForm,
    EmailCertificateForm,
    ExportForm,
    PendingRequestFilterForm,
    ProfileFieldQuery,
    RevokeForm,
)
from acme_orders.models import Certificate, CertificateRequest, CertificateVersion, Challenge
from acme_orders.pipeline import ACTIVE_STATUSES, OPEN_CHALLENGE_STATUSES
from acme_orders.profiles import offered_profiles
from acme_orders.repository import (
    attention_reasons,
    certificate_counts,
    expiry_timeline,
    needs_attention_filter,
    open_request_counts,
    status_totals,
)
from certlife.forms import apply_action_errors
from certlife.health import background_status
from certlife.query import FilteredListMixin

WITH_VERSION = Certificate.objects.select_related("current_version")
# The "Needs attention" list on the dashboard shows this many; the list page shows all.
ATTENTION_SHOWN = 20
# The expiry chart's drawing area, in SVG user units.
CHART_BAR_WIDTH, CHART_GAP, CHART_HEIGHT = 36, 8, 120


def timeline_chart(timeline) -> dict:
    """The expiry timeline as bars for the dashboard's inline SVG (no script, no CDN)."""
    highest = max([week.count for week in timeline.weeks] + [1])
    bars = []
    for index, week in enumerate(timeline.weeks):
        height = round(CHART_HEIGHT * week.count / highest)
        bars.append(
            {
                "week": week,
                "label": f"W{index + 1}",
                "x": index * (CHART_BAR_WIDTH + CHART_GAP),
                "y": CHART_HEIGHT - height,
                "height": height,
            }
        )
    return {
        "bars": bars,
        "bar_width": CHART_BAR_WIDTH,
        "height": CHART_HEIGHT,
        "width": len(bars) * (CHART_BAR_WIDTH + CHART_GAP),
        "timeline": timeline,
    }


def needs_attention() -> dict:
    """The dashboard's "Needs attention" list: the first ATTENTION_SHOWN, soonest expiry
    first, each with its reasons, and how many there are in all (two queries)."""
    queryset = Certificate.objects.filter(needs_attention_filter()).select_related(
        "current_version"
    )
    shown = queryset.order_by("expires_at", "id")[:ATTENTION_SHOWN]
    return {
        "rows": [(certificate, attention_reasons(certificate)) for certificate in shown],
        "total": queryset.count(),
        "filter_value": NEEDS_ATTENTION,
    }


class DashboardView(TemplateView):
    template_name = "acme_orders/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm("acme_orders.view_certificate"):
            totals = status_totals()
            context["counts"] = certificate_counts(totals)
            context["chart"] = timeline_chart(expiry_timeline(totals=totals))
            context["attention"] = needs_attention()
        if self.request.user.has_perm("acme_orders.view_certificaterequest"):
            context["request_counts"] = open_request_counts()
        # Whether renewals run is for people with a role; a user without one sees nothing.
        if self.request.user.has_perm("certlife.view_serviceheartbeat"):
            context["background"] = background_status()
        return context


class CertificateListView(PermissionRequiredMixin, FilteredListMixin, ListView):
    """Certificates >> Certificates: the repository, filtered and searched (docs/features.md P4)."""

    permission_required = "acme_orders.view_certificate"
    template_name = "acme_orders/certificate_list.html"
    paginate_by = 50
    queryset = Certificate.objects.select_related("current_version")
    filter_form_class = CertificateFilterForm


class CertificateDetailView(PermissionRequiredMixin, DetailView):
    """One certificate: its names and current version, its renewal schedule and why,
    and its buttons (docs/features.md P4, N1-N6, X1, X2)."""

    permission_required = "acme_orders.view_certificate"
    queryset = Certificate.objects.select_related("current_version")
    template_name = "acme_orders/certificate_detail.html"

    def get_context_data(self, **kwargs):
        open_renewal = (
            self.object.requests.exclude(status=RequestStatus.SAVED).order_by("-created_at").first()
        )
        return super().get_context_data(
            export_form=CertificateExportForm(),
            auto_renew_form=AutoRenewForm(initial={"enabled": not self.object.auto_renew}),
            open_renewal=open_renewal,
            **kwargs,
        )


class CertificateHistoryView(PermissionRequiredMixin, DetailView):
    """History (spec N2): every version, newest first, each downloadable."""

    permission_required = "acme_orders.view_certificate"
    model = Certificate
    template_name = "acme_orders/certificate_history.html"

    def get_context_data(self, **kwargs):
        versions = (
            self.object.versions.select_related("created_by")
            .prefetch_related("deployments")
            .order_by("-created_at", "-id")
        )
        return super().get_context_data(
            versions=versions, export_form=CertificateExportForm(), **kwargs
        )


class CertificateExportView(PermissionRequiredMixin, View):
    """Download the current version, or the version chosen in the history (spec P2, N2);
    the key only on explicit choice and with the permission (checked by the action)."""

    permission_required = "acme_orders.export_certificate"

    def post(self, request, pk: int):
        certificate = get_object_or_404(Certificate, pk=pk)
        form = CertificateExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an export format.")
            return redirect("certificate-detail", pk=pk)
        version = None
        if form.cleaned_data["version"]:
            version = get_object_or_404(
                CertificateVersion, pk=form.cleaned_data["version"], certificate=certificate
            )
        return _download(
            request,
            lambda: actions.certificate_export_file(
                certificate, version=version, actor=request.user, **_export_choices(form)
            ),
            refused=redirect("certificate-detail", pk=pk),
        )


class CertificateButtonView(PermissionRequiredMixin, View):
    """A POST-only button of a certificate: `run` calls the action and returns the
    message shown and where to go; a refusal is shown on the certificate's page."""

    def post(self, request, pk: int):
        certificate = get_object_or_404(Certificate, pk=pk)
        try:
            message, target = self.run(certificate)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
            return redirect("certificate-detail", pk=pk)
        messages.success(request, message)
        return target

    def run(self, certificate):
        raise NotImplementedError


class RenewCertificateView(CertificateButtonView):
    """Renew certificate (spec N1): the new request's page shows Renewed when issued."""

    permission_required = ["acme_orders.renew_certificate", "acme_orders.add_certificaterequest"]

    def run(self, certificate):
        renewal = actions.renew_certificate(certificate, actor=self.request.user)
        message = "Renewal requested: when it reads Renewed, click it to save the new version."
        return message, redirect("request-detail", pk=renewal.pk)


class RetryRenewalView(CertificateButtonView):
    """Retry now (spec N3): the next automatic attempt is due at once, whatever its backoff."""

    permission_required = "acme_orders.renew_certificate"

    def run(self, certificate):
        actions.retry_renewal(certificate, actor=self.request.user)
        message = "The scheduler will try to renew it on its next run (within a minute)."
        return message, redirect("certificate-detail", pk=certificate.pk)


class AutoRenewView(CertificateButtonView):
    """The per-certificate switch of automatic renewal (spec N5)."""

    permission_required = "acme_orders.renew_certificate"

    def run(self, certificate):
        form = AutoRenewForm(self.request.POST)
        form.is_valid()
        enabled = form.cleaned_data.get("enabled", False)
        actions.set_auto_renew(certificate, enabled=enabled, actor=self.request.user)
        message = "Automatic renewal is on." if enabled else "Automatic renewal is off."
        return message, redirect("certificate-detail", pk=certificate.pk)


class RevokeCertificateView(PermissionRequiredMixin, View):
    """Revoke (spec X1): a confirmation that says what revocation does and asks for a
    reason; the CA's answer is shown at once (the action asks it in this request)."""

    permission_required = "acme_orders.revoke_certificate"
    template_name = "acme_orders/certificate_revoke.html"

    def get(self, request, pk: int):
        certificate = get_object_or_404(
            Certificate.objects.select_related("current_version"), pk=pk
        )
        return render(
            request, self.template_name, {"certificate": certificate, "form": RevokeForm()}
        )

    def post(self, request, pk: int):
        certificate = get_object_or_404(
            Certificate.objects.select_related("current_version"), pk=pk
        )
        form = RevokeForm(request.POST)
        if form.is_valid():
            try:
                actions.revoke_certificate(
                    certificate, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ValidationError as error:
                apply_action_errors(form, error)
            else:
                messages.success(
                    request, f"{certificate.common_name} is revoked at the CA and in certlife."
                )
                return redirect("certificate-detail", pk=pk)
        context = {"certificate": certificate, "form": form}
        return render(request, self.template_name, context, status=400)


class DeleteCertificateView(PermissionRequiredMixin, View):
    """Delete (spec X2): removed from certlife only; the confirmation says it stays valid."""

    permission_required = "acme_orders.delete_certificate"
    template_name = "acme_orders/certificate_delete.html"

    def get(self, request, pk: int):
        certificate = get_object_or_404(
            Certificate.objects.select_related("current_version"), pk=pk
        )
        return render(request, self.template_name, {"certificate": certificate})

    def post(self, request, pk: int):
        certificate = get_object_or_404(Certificate, pk=pk)
        name = certificate.common_name
        actions.delete_certificate(certificate, actor=request.user)
        messages.success(request, f"{name} is deleted from certlife; it stays valid at the CA.")
        return redirect("certificate-list")


@login_not_required
@require_safe
def acme_challenge_response(request, token: str):
    """The built-in HTTP-01 responder: answers the CA for requests that use it (a site
    whose port 80 is proxied to certlife needs nothing else), with the key
    authorization alone, as text/plain. Only the open challenge of an active request
    answers; any other token is a 404 that says nothing more.

    AcmeChallengeResponderMiddleware calls it for any Host, before the host check."""
    challenge = Challenge.objects.filter(
        token=token,
        type=ChallengeType.HTTP_01,
        solver=Solver.BUILTIN_HTTP,
        status__in=OPEN_CHALLENGE_STATUSES,
        request__status__in=ACTIVE_STATUSES,
    ).first()
    response: HttpResponse
    if challenge is None:
        response = HttpResponseNotFound("Not found", content_type="text/plain")
    else:
        response = HttpResponse(challenge.key_authorization, content_type="text/plain")
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RequestCreateView(PermissionRequiredMixin, FormView):
    """Certificates >> ACME >> Let's Encrypt >> Request (docs/features.md R1-R7)."""

    permission_required = "acme_orders.add_certificaterequest"
    template_name = "acme_orders/request_form.html"
    form_class = CertificateRequestForm

    def form_valid(self, form):
        try:
            created = actions.request_certificate(
                actor=self.request.user, settings=form.request_settings()
            )
        except ValidationError as error:
            apply_action_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Request created; the order is being placed.")
        return redirect("request-detail", pk=created.pk)


class PendingRequestListView(PermissionRequiredMixin, FilteredListMixin, ListView):
    """Pending requests: everything not yet saved to the repository, live."""

    permission_required = "acme_orders.view_certificaterequest"
    paginate_by = 50
    queryset = CertificateRequest.objects.exclude(status=RequestStatus.SAVED).select_related(
        "account"
    )
    filter_form_class = PendingRequestFilterForm

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["acme_orders/_pending_rows.html"]
        return ["acme_orders/pending_list.html"]


class RequestDetailView(PermissionRequiredMixin, DetailView):
    permission_required = "acme_orders.view_certificaterequest"
    model = CertificateRequest
    context_object_name = "certificate_request"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["acme_orders/_request_status.html"]
        return ["acme_orders/request_detail.html"]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            export_form=ExportForm(),
            assign_dns_form=AssignDnsForm(),
            email_form=EmailCertificateForm(),
            live=self.object.status in ACTIVE_STATUSES,
            **kwargs,
        )


class RequestActionView(PermissionRequiredMixin, View):
    """POST-only buttons of a request: verify, new challenge, assign DNS, save, email."""

    # The permission each button needs, as the API's `action_permissions`.
    action_permissions = {
        "verify": ["acme_orders.change_certificaterequest"],
        "new-challenge": ["acme_orders.change_certificaterequest"],
        "assign-dns": ["acme_orders.change_certificaterequest"],
        "save": ["acme_orders.add_certificate"],
        # The action checks the key permission too, as every export does.
        "email": ["acme_orders.export_certificate"],
    }

    def get_permission_required(self):
        if self.kwargs["action"] not in self.action_permissions:
            raise Http404("Unknown action")
        return self.action_permissions[self.kwargs["action"]]

    def post(self, request, pk: int, action: str):
        certificate_request = get_object_or_404(CertificateRequest, pk=pk)
        try:
            message = self._run(action, certificate_request, request)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
        return redirect("request-detail", pk=pk)

    def _run(self, action: str, certificate_request, request) -> str:
        actor = request.user
        if action == "verify":
            actions.verify_request(certificate_request, actor=actor)
            return "Checking the published answers, then asking the CA to validate."
        if action == "new-challenge":
            actions.new_challenge(certificate_request, actor=actor)
            return "A new order is being placed."
        if action == "assign-dns":
            dns_form = AssignDnsForm(request.POST)
            if not dns_form.is_valid():
                raise ValidationError(list(dns_form.errors["dns_account"]))
            dns_account = dns_form.cleaned_data["dns_account"]
            actions.assign_dns_account(certificate_request, dns_account=dns_account, actor=actor)
            return f"{dns_account} will publish the TXT records."
        if action == "save":
            actions.save_to_repository(certificate_request, actor=actor)
            return "Saved to the repository."
        email_form = EmailCertificateForm(request.POST)
        if not email_form.is_valid():
            raise ValidationError(list(email_form.errors["to"]))
        to, include_key = email_form.cleaned_data["to"], email_form.cleaned_data["include_key"]
        actions.email_certificate(certificate_request, actor=actor, to=to, include_key=include_key)
        sent = "certificate, chain and private key" if include_key else "certificate and chain"
        return f"The {sent} are being sent to {to}."


class RequestExportView(PermissionRequiredMixin, View):
    permission_required = "acme_orders.export_certificate"

    def post(self, request, pk: int):
        certificate_request = get_object_or_404(CertificateRequest, pk=pk)
        form = ExportForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an export format.")
            return redirect("request-detail", pk=pk)
        return _download(
            request,
            lambda: actions.request_export_file(
                certificate_request, actor=request.user, **_export_choices(form)
            ),
            refused=redirect("request-detail", pk=pk),
        )


class RequestProfilesView(PermissionRequiredMixin, View):
    """htmx fragment of the Request form: the profiles the chosen account's CA offers
    (docs/features.md R7), read from its directory. The directory is cached a few minutes and read
    with short time-outs, like the terms link on the account form. A POST with the
    CSRF token, as every request that makes certlife fetch a URL."""

    permission_required = "acme_orders.add_certificaterequest"

    def post(self, request):
        query = ProfileFieldQuery(request.POST)
        query.is_valid()
        account = query.cleaned_data.get("account")
        context = {"selected": query.cleaned_data.get("profile", "")}
        if account is not None:
            try:
                context["profiles"] = offered_profiles(fetch_directory(account.directory_url))
            except AcmeError as error:
                context["error"] = f"The CA's directory could not be read: {error}"
        return render(request, "acme_orders/_profile_field.html", context)


def _export_choices(form) -> dict:
    """What the export form chose, as the export actions take it."""
    return {
        "export_format": form.cleaned_data["format"],
        "include_key": form.cleaned_data["include_key"],
        "password": form.cleaned_data["password"],
    }


def _download(request, export, *, refused: HttpResponse) -> HttpResponse:
    """The file `export()` builds as a download, or its refusals shown on `refused`."""
    try:
        exported = export()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return refused
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
