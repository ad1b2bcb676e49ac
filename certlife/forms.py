from django import forms

from certlife.choices import AuditOutcome


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="User")
    action = forms.CharField(required=False)
    outcome = forms.ChoiceField(
        required=False, choices=[("", "Any outcome"), *AuditOutcome.choices]
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, queryset):
        """The queryset narrowed by every valid field; invalid fields are ignored and shown."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["actor"]:
            queryset = queryset.filter(actor_name__icontains=data["actor"])
        if data["action"]:
            queryset = queryset.filter(action__icontains=data["action"])
        if data["outcome"]:
            queryset = queryset.filter(outcome=data["outcome"])
        if data["since"]:
            queryset = queryset.filter(occurred_at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(occurred_at__date__lte=data["until"])
        return queryset
