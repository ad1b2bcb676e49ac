from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page requires login; the API authenticates itself (token or session) and
    answers 401/403 instead of redirecting to the login page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def declared_body_length(request) -> int:
    """The body length the client announced (0 when absent or not a number, as Django
    itself reads it: a body without Content-Length is never read)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestSizeLimitMiddleware:
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE from its Content-Length alone,
    before any other middleware or view runs and before a byte of it is read: the API
    answers 400 `{"non_field_errors": [...]}`, pages Django's plain 400 page.

    Django enforces the limit only when `request.body` is read, and DRF's JSON parser
    reads the stream directly, so without this a 20 MB JSON body would be read whole.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and declared_body_length(request) > limit:
            message = f"The request body is too large: at most {limit} bytes are accepted."
            if request.path_info.startswith("/api/"):
                return JsonResponse({"non_field_errors": [message]}, status=400)
            # Django answers a SuspiciousOperation with its 400 page (handler400).
            raise RequestDataTooBig(message)
        return self.get_response(request)


class RefuseNulCharactersMiddleware:
    """A NUL character in the path or the query string is a 400, before any view.

    No parameter of certlife takes one and PostgreSQL cannot store one in text: a NUL
    that reached a query would be a 500. Our forms and serializers refuse it already;
    this also covers Django's admin, which turns query parameters into lookups.
    """

    message = "Null characters are not allowed."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        names = [name for name, values in request.GET.lists() if _has_nul(name, *values)]
        if names or "\x00" in request.path_info:
            return self._refusal(request, names or ["path"])
        return self.get_response(request)

    def _refusal(self, request, names: list[str]) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            errors = {name.replace("\x00", "\\x00"): [self.message] for name in names}
            return JsonResponse(errors, status=400)
        return HttpResponseBadRequest(self.message, content_type="text/plain")


def _has_nul(*texts: str) -> bool:
    return any("\x00" in text for text in texts)
