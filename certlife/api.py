"""The REST API frame (spec S4): permissions, pagination, error format."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, parsers, permissions, serializers


class RolePermission(permissions.DjangoModelPermissions):
    """Logged in, and the role's model permission for the method; reading needs `view_*`.

    Views without a queryset only require login. A view may name extra permissions
    per action in `action_permissions = {"deactivate": ["accounts.deactivate_account"]}`.
    """

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        extra = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if extra is not None:
            return request.user.has_perms(extra)
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)


# Size limits of secret text fields, checked before anything parses them: an RSA 4096
# key in PEM is about 3.3 KB.
MAX_KEY_PEM_LENGTH = 16_384
MAX_PASSWORD_LENGTH = 1_024

# Ids in API paths are ASCII digits, as `<int:pk>` on pages: the router answers 404 for
# `abc`, ` 7` or `١٠` (which int() would read as 10) before any lookup.
NUMERIC_ID = "[0-9]+"

# ASCII digits only: int() would also take "١٠".
PAGE_NUMBER = re.compile(r"0*[1-9][0-9]*")
PAGE_SIZE = re.compile(r"[0-9]{1,4}")


# A surrogate code point left in a parsed string: JSON can spell one (`"\ud800"`), but it
# is no text; it can be neither stored nor echoed back in an error as UTF-8.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body whose strings are not text (a lone surrogate)
    with the same 400 as malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_lone_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate (\\ud800-\\udfff)."
            )
        return data


class Pagination(pagination.PageNumberPagination):
    """`?page=` (from 1, or `last`) and `?page_size=` (1 to 500). A malformed value is a
    400 naming the parameter; a page past the end, however far, is a 404, as DRF answers
    it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        errors = {}
        page = request.query_params.get(self.page_query_param, "1")
        if page not in self.last_page_strings and not PAGE_NUMBER.fullmatch(page):
            errors[self.page_query_param] = ["A page number is a whole number from 1."]
        size = request.query_params.get(self.page_size_query_param, str(self.page_size))
        if not (PAGE_SIZE.fullmatch(size) and 1 <= int(size) <= self.max_page_size):
            errors[self.page_size_query_param] = [
                f"A page size is a whole number from 1 to {self.max_page_size}."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)


def exception_handler(error, context):
    """DRF's handler, plus Django's ValidationError as 400 `{"field": ["message"]}`."""
    # Imported here: rest_framework.views imports this module through its settings.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            detail = {
                field: [message for item in items for message in item.messages]
                for field, items in error.error_dict.items()
            }
        else:
            detail = {"non_field_errors": error.messages}
        error = exceptions.ValidationError(detail)
    return drf_exception_handler(error, context)


class CountedListField(serializers.ListField):
    """A ListField that refuses too many items before it validates any of them (DRF's
    own checks `max_length` only after validating every item)."""

    def to_internal_value(self, data):
        too_many = self.max_length is not None and isinstance(data, list | tuple)
        if too_many and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
