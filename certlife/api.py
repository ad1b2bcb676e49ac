"""The REST API frame (spec S4): permissions, pagination, error format."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, permissions


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
