"""Content-Security-Policy: pages load scripts, styles, images and media only from this site.

Every response gets the policy in ``settings.MOSLAB_CSP`` (directive -> sources). Scripts are never
inline (they live in static/js and static/vendor); a ``<style>`` block in a template carries
``nonce="{{ request.csp_nonce }}"``, a value made afresh for each request and named in style-src.
"""
import secrets

from django.conf import settings

HEADER = "Content-Security-Policy"


def policy_text(directives: dict[str, list[str]], *, nonce: str) -> str:
    parts = []
    for name, sources in directives.items():
        values = [*sources, f"'nonce-{nonce}'"] if name == "style-src" else list(sources)
        parts.append(" ".join([name, *values]))
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        header = f"{HEADER}-Report-Only" if settings.MOSLAB_CSP_REPORT_ONLY else HEADER
        if settings.MOSLAB_CSP and header not in response:
            response[header] = policy_text(settings.MOSLAB_CSP, nonce=request.csp_nonce)
        return response
