"""The REST API frame (spec S4): permissions, pagination, parsing, error format."""

import codecs
import json
import math

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, parsers, permissions


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


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
    at about 1,000 levels), integers beyond 64 bits and non-finite numbers."""

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
