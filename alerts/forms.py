from django import forms

from alerts.choices import URL_KINDS, ChannelKind, ChannelState
from alerts.models import AlertChannel
from certlife.query import FilterForm, choice_filter, text_filter


class AlertChannelForm(forms.Form):
    """Name, kind (when adding), target and enabled. The rules are the action's
    (alerts.actions), shown on the inputs they name. A URL target is never filled in,
    not even after an error; on edit, leaving it empty keeps the stored URL."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    target = forms.CharField(
        max_length=4000,
        required=False,
        label="Addresses or URL",
        help_text="Email: addresses separated by commas. Webhook, Slack, Teams: the https URL "
        "the service gave you (kept secret, never shown again).",
        widget=forms.PasswordInput(render_value=False),
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, channel: AlertChannel | None = None, **kwargs):
        self.channel = channel
        if channel is not None:
            initial = {"name": channel.name, "kind": channel.kind, "enabled": channel.enabled}
            if channel.kind not in URL_KINDS:
                initial["target"] = channel.target
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if channel is None:
            return
        del self.fields["kind"]  # a channel's kind never changes
        if channel.kind in URL_KINDS:
            self.fields["target"].label = "URL"
            self.fields["target"].help_text = "Leave blank to keep the stored URL."
        else:
            self.fields["target"].label = "Addresses"
            self.fields["target"].help_text = "Separated by commas."
            self.fields["target"].widget = forms.TextInput()


class AlertChannelFilterForm(FilterForm):
    name = text_filter(help_text="Part of the channel's name.")
    kind = choice_filter(ChannelKind.choices, label="Kind")
    status = choice_filter(ChannelState.choices)

    def narrow(self, queryset, values):
        if "status" in values:
            queryset = queryset.filter(enabled=values["status"] == ChannelState.ENABLED)
        if "name" in values:
            queryset = queryset.filter(name__icontains=values["name"])
        if "kind" in values:
            queryset = queryset.filter(kind=values["kind"])
        return queryset
