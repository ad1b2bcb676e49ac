from django import forms

from certlife.choices import AuditOutcome
from certlife.query import FilterForm, choice_filter, text_filter


class AuditFilterForm(FilterForm):
    actor = text_filter("User", help_text="Part of the user's name.")
    action = text_filter("Action", help_text="Part of the action, as in request.create.")
    outcome = choice_filter(AuditOutcome.choices, label="Outcome")
    since = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Events on or after this day (YYYY-MM-DD).",
    )
    until = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Events on or before this day (YYYY-MM-DD).",
    )

    def narrow(self, queryset, values):
        if "actor" in values:
            queryset = queryset.filter(actor_name__icontains=values["actor"])
        if "action" in values:
            queryset = queryset.filter(action__icontains=values["action"])
        if "outcome" in values:
            queryset = queryset.filter(outcome=values["outcome"])
        if "since" in values:
            queryset = queryset.filter(occurred_at__date__gte=values["since"])
        if "until" in values:
            queryset = queryset.filter(occurred_at__date__lte=values["until"])
        return queryset
