"""The REST API frame (spec S4): permissions, pagination, parsing, error format."""

import codecs
import json
import math
import re

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
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


# No certlife body nests deeper than a few levels (DNS credentials, a list of names).
MAX_JSON_DEPTH = 32
# Every number certlife takes is an ID, a port or a key size: a signed 64-bit integer.
LARGEST_JSON_INTEGER = 2**63 - 1


def bounded_integer(text: str) -> int:
    # Refused by length first: converting a 4,000-digit number costs more than refusing it.
    value = int(text) if len(text) <= len(str(-LARGEST_JSON_INTEGER)) else None
    if value is None or abs(value) > LARGEST_JSON_INTEGER:
        raise ValueError(f"number out of range: {text[:25]}")
    return value


def finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:25]}")
    return value


def refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_depth(value) -> int:
    """How deeply objects and arrays nest in a parsed JSON value (a scalar is 0)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing with a 400 what would otherwise be a 500 or a slow
    request: nesting deeper than MAX_JSON_DEPTH (Python's parser raises RecursionError
    at about 1,000 levels), integers beyond 64 bits, non-finite numbers and strings
    that are not text (a lone surrogate)."""

    def parse(self, stream, media_type=None, parser_context=None):
        # DRF's get_encoding refuses bytes-to-bytes codecs (a bz2 "charset" would
        # decompress a small body without bound).
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_int=bounded_integer,
                parse_float=finite_float,
                parse_constant=refuse_constant,
            )
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        if _has_lone_surrogate(data):
            raise exceptions.ParseError(
                "JSON parse error - a string holds a lone surrogate (\\ud800-\\udfff)."
            )
        return data


# What Django raises while DRF parses a body that breaks a DATA_UPLOAD_* limit.
BODY_LIMIT_MESSAGES = {
    RequestDataTooBig: "The request body is too large: at most {limit} bytes are accepted.",
    TooManyFieldsSent: "Too many form fields: at most {fields} are accepted.",
    TooManyFilesSent: "Too many files: at most {files} are accepted.",
}


def exception_handler(error, context):
    """DRF's handler, plus Django's ValidationError as 400 `{"field": ["message"]}` and
    a broken body limit as 400 `{"non_field_errors": ["message"]}` (not Django's HTML)."""
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
    elif type(error) in BODY_LIMIT_MESSAGES:
        message = BODY_LIMIT_MESSAGES[type(error)].format(
            limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            files=settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        )
        error = exceptions.ValidationError({"non_field_errors": [message]})
    return drf_exception_handler(error, context)


class CountedListField(serializers.ListField):
    """A ListField that refuses too many items before it validates any of them (DRF's
    own checks `max_length` only after validating every item)."""

    def to_internal_value(self, data):
        too_many = self.max_length is not None and isinstance(data, list | tuple)
        if too_many and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


def validated_input(serializer_class, data) -> dict:
    """`data` checked by `serializer_class`; a 400 naming each bad field otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
