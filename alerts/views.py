"""Manage >> Alerts. Views declare; every write goes through alerts.actions."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from alerts import actions
from alerts.forms import AlertChannelForm
from alerts.models import AlertChannel, AlertDelivery
from certlife.forms import apply_action_errors

RECENT_DELIVERIES = 50


class AlertChannelListView(PermissionRequiredMixin, ListView):
    """The channels, and the latest deliveries with their status and error."""

    permission_required = "alerts.view_alertchannel"
    template_name = "alerts/channel_list.html"
    model = AlertChannel
    context_object_name = "channels"

    def get_context_data(self, **kwargs):
        deliveries = AlertDelivery.objects.select_related("alert", "channel")[:RECENT_DELIVERIES]
        return super().get_context_data(deliveries=deliveries, **kwargs)


class AlertChannelFormView(PermissionRequiredMixin, View):
    template_name = "alerts/channel_form.html"

    def get_permission_required(self):
        if "pk" in self.kwargs:
            return ["alerts.change_alertchannel"]
        return ["alerts.add_alertchannel"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.channel = None
        if "pk" in kwargs:
            self.channel = get_object_or_404(AlertChannel, pk=kwargs["pk"])

    def get(self, request, **kwargs):
        return self._render(AlertChannelForm(channel=self.channel))

    def post(self, request, **kwargs):
        form = AlertChannelForm(request.POST, channel=self.channel)
        if form.is_valid():
            try:
                self._save(form.cleaned_data)
            except ValidationError as error:
                apply_action_errors(form, error)
            else:
                messages.success(request, f"Alert channel {form.cleaned_data['name']} saved.")
                return redirect("alert-channel-list")
        return self._render(form)

    def _save(self, values):
        if self.channel is None:
            actions.create_alert_channel(
                name=values["name"],
                kind=values["kind"],
                target=values["target"],
                enabled=values["enabled"],
                actor=self.request.user,
            )
        else:
            actions.update_alert_channel(
                self.channel,
                name=values["name"],
                enabled=values["enabled"],
                target=values["target"],
                actor=self.request.user,
            )

    def _render(self, form):
        return render(self.request, self.template_name, {"form": form, "channel": self.channel})


class AlertChannelTestView(PermissionRequiredMixin, View):
    """The "Send test" button."""

    permission_required = "alerts.change_alertchannel"

    def post(self, request, pk):
        channel = get_object_or_404(AlertChannel, pk=pk)
        actions.send_test_alert(channel, actor=request.user)
        messages.success(
            request, f"Test alert to {channel.name} queued; its delivery is listed below."
        )
        return redirect("alert-channel-list")


class AlertChannelDeleteView(PermissionRequiredMixin, View):
    permission_required = "alerts.delete_alertchannel"
    template_name = "alerts/channel_confirm_delete.html"

    def get(self, request, pk):
        channel = get_object_or_404(AlertChannel, pk=pk)
        return render(request, self.template_name, {"channel": channel})

    def post(self, request, pk):
        channel = get_object_or_404(AlertChannel, pk=pk)
        actions.delete_alert_channel(channel, actor=request.user)
        messages.success(request, f"Alert channel {channel.name} deleted.")
        return redirect("alert-channel-list")
