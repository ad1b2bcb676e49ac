from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError

from certlife.choices import AuditOutcome
from certlife.query import FilterForm, choice_filter, text_filter


def apply_action_errors(
    form: forms.Form,
    error: ValidationError,
    *,
    prefix: str = "",
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Show an action's `{"field": [...]}` errors on the form's inputs they name, and
    the rest (and an error without fields) above the form. `prefix` is cut from the
    names first (`credentials.` for a DNS account's fields), then `renamed` maps an
    action's name to the form's input (`directory` to `directory_choice`)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        name = name.removeprefix(prefix)
        name = (renamed or {}).get(name, name)
        form.add_error(name if name in form.fields else None, messages)


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
