"""DRF authentication and throttling by personal API token (``Authorization: Bearer <secret>``)."""
from rest_framework import authentication, exceptions, throttling

from accounts.services import api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A request with ``Authorization: Bearer mlt_...`` acts as the token's user; no CSRF (no cookie is used)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        try:
            secret = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        token = api_token_authenticate(secret)
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid: unknown, expired or revoked.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (rate `token` in DEFAULT_THROTTLE_RATES); sessions are not throttled here."""

    scope = "token"

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is None or not hasattr(token, "digest"):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
