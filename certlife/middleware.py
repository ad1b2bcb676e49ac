from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page requires login; the API authenticates itself (token or session) and
    answers 401/403 instead of redirecting to the login page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


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
