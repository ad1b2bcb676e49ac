"""Query-string filters of every list, pages and API alike: one rule, one form per list.

Each list declares a `FilterForm` (in its app's forms.py) whose fields are the query
parameters it reads and whose `narrow()` applies the valid ones. Then:

- API (`FormFilterBackend`): a bad value is a 400 naming the parameter,
  `{"status": ["Select a valid choice. bogus is not one of the available choices."]}`.
- Pages (`FilteredListMixin`): a bad value is ignored, and shown as the filter form's
  error beside the list.
- Unknown parameters are ignored; text is at most `MAX_FILTER_TEXT` characters; a NUL
  character never gets this far (`certlife.middleware.RefuseNulCharactersMiddleware`).
- Page numbers: see `certlife.api.Pagination` (API); pages answer 404 for a page that
  does not exist, as Django's ListView does.
"""

from typing import cast

from django import forms
from django.db.models import QuerySet
from rest_framework import filters, generics, serializers

from certlife.api import NUMERIC_ID

# Longer than any DNS name (253) with room for a partial match; short enough that a
# query string cannot make the database scan with a megabyte pattern.
MAX_FILTER_TEXT = 255


def text_filter(label: str = "Name", help_text: str = "Part of the name.") -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=MAX_FILTER_TEXT,
        label=label,
        help_text=help_text,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


def choice_filter(choices, label: str = "Status") -> forms.ChoiceField:
    return forms.ChoiceField(
        required=False, choices=[("", f"Any {label.lower()}"), *choices], label=label
    )


class FilterForm(forms.Form):
    """The query parameters of one list. Subclasses declare fields and `narrow()`."""

    def narrow(self, queryset: QuerySet, values: dict) -> QuerySet:
        """The queryset narrowed by `values`: the parameters given, all valid."""
        raise NotImplementedError

    def filter(self, queryset: QuerySet) -> QuerySet:
        """Narrowed by every valid parameter; invalid ones are ignored (they stay in
        `errors` for the page to show)."""
        self.is_valid()
        values = {
            name: value for name, value in self.cleaned_data.items() if value not in ("", None)
        }
        return self.narrow(queryset, values)

    @classmethod
    def openapi_parameters(cls) -> list[dict]:
        """The fields as OpenAPI query parameters, so the schema (and the API fuzz test
        that reads it) knows them."""
        return [
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": str(field.help_text or field.label or name),
                "schema": _openapi_schema(field),
            }
            for name, field in cls.base_fields.items()
        ]


class NameAndStatusFilterForm(FilterForm):
    """A list narrowed by its exact `status` and by part of a name, looked up with
    `name_lookup` (a queryset filter keyword). Subclasses declare the two fields."""

    name_lookup = "name__icontains"

    def narrow(self, queryset, values):
        if "status" in values:
            queryset = queryset.filter(status=values["status"])
        if "name" in values:
            queryset = queryset.filter(**{self.name_lookup: values["name"]})
        return queryset


def _openapi_schema(field: forms.Field) -> dict:
    if isinstance(field, forms.ChoiceField):
        choices = cast(list[tuple[str, str]], field.choices)  # a list once the field exists
        return {"type": "string", "enum": [value for value, _ in choices if value]}
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, forms.CharField) and field.max_length:
        return {"type": "string", "maxLength": field.max_length}
    return {"type": "string"}


class FormFilterBackend(filters.BaseFilterBackend):
    """A DRF filter backend for views that declare `filter_form_class`: the list action
    is narrowed by it, and a bad parameter is a 400 naming it. Other actions (detail,
    export...) ignore the list's filters."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") != "list":
            return queryset
        form = view.filter_form_class(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(
                {name: list(messages) for name, messages in form.errors.items()}
            )
        return form.filter(queryset)

    def get_schema_operation_parameters(self, view):
        return view.filter_form_class.openapi_parameters()


class FilteredListMixin:
    """For a page's ListView: `filter_form_class` narrows the view's queryset; the bound
    form (values, and errors of the values it ignored) is `filter_form` in the template."""

    filter_form_class: type[FilterForm]

    def get_queryset(self):
        self.filter_form = self.filter_form_class(self.request.GET)  # type: ignore[attr-defined]
        return self.filter_form.filter(super().get_queryset())  # type: ignore[misc]

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter_form=self.filter_form, **kwargs)  # type: ignore[misc]


class FilteredApiView(generics.GenericAPIView):
    """Base of the API viewsets: ids are ASCII digits and the list is narrowed by the
    view's `filter_form_class` (one rule for every list: see FormFilterBackend)."""

    lookup_value_regex = NUMERIC_ID
    filter_backends = [FormFilterBackend]
