"""The built-in HTTP-01 responder's way in, ahead of every other middleware."""

import re

from acme_orders.views import acme_challenge_response

# RFC 8555 8.3: the token is base64url; the model keeps at most 255 characters.
CHALLENGE_PATH = re.compile(r"/\.well-known/acme-challenge/(?P<token>[A-Za-z0-9_-]{1,255})")


class AcmeChallengeResponderMiddleware:
    """Answers GET and HEAD of /.well-known/acme-challenge/<token> for any Host.

    The CA asks with the Host of the name being validated, which is never in
    ALLOWED_HOSTS: further down, SecurityMiddleware and CommonMiddleware read the Host
    and answer 400 (or redirect to HTTPS under CERTLIFE_HTTPS). This path shape alone
    is answered here, without reading the Host, without login; every other request
    goes down the stack and keeps Django's host check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        match = CHALLENGE_PATH.fullmatch(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        return acme_challenge_response(request, match["token"])
