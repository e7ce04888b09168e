"""Failed logins and password-reset requests counted in the cache; past the limit, the door stays shut a while.

Failures are counted per account and client address (a mistyped password locks nobody else out) and per
client address alone (one address trying many accounts). The counts live in the cache, so with
CACHE_URL (Redis, required in production) every process shares them; without it each process counts
its own. The client address is REMOTE_ADDR, or the last hop of MOSLAB_CLIENT_IP_HEADER behind a proxy.
"""
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Window:
    key: str
    attempts: int
    seconds: int


def client_address(request) -> str:
    forwarded = request.META.get(settings.MOSLAB_CLIENT_IP_HEADER, "") if settings.MOSLAB_CLIENT_IP_HEADER else ""
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")


def _hashed(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:32]


def _full(windows: list[Window]) -> Window | None:
    return next((window for window in windows if (cache.get(window.key) or 0) >= window.attempts), None)


def _count(windows: list[Window]) -> None:
    for window in windows:
        cache.add(window.key, 0, timeout=window.seconds)  # the window starts at the first attempt
        try:
            cache.incr(window.key)
        except ValueError:  # expired between add and incr
            cache.set(window.key, 1, timeout=window.seconds)


def _login_windows(request, username: str) -> list[Window]:
    address, seconds = client_address(request), settings.MOSLAB_LOGIN_LOCKOUT_SECONDS
    return [Window(f"throttle:login:{_hashed(address + ' ' + username)}", settings.MOSLAB_LOGIN_FAILURES, seconds),
            Window(f"throttle:login-address:{_hashed(address)}", settings.MOSLAB_LOGIN_FAILURES_PER_ADDRESS, seconds)]


def _minutes(seconds: int) -> str:
    return f"{max(1, round(seconds / 60))} minutes"


def login_refusal(request, *, username: str) -> str | None:
    """Why this login may not be tried now, or None."""
    if _full(_login_windows(request, username)) is None:
        return None
    return (f"Too many failed logins: logging in is locked for {_minutes(settings.MOSLAB_LOGIN_LOCKOUT_SECONDS)}. "
            "Wait and try again, or reset your password.")


def login_failed(request, *, username: str) -> None:
    _count(_login_windows(request, username))


def login_succeeded(request, *, username: str) -> None:
    cache.delete(_login_windows(request, username)[0].key)


def password_reset_refusal(request, *, email: str) -> str | None:
    """Why no reset mail may be sent now, or None (and the request is counted)."""
    seconds = settings.MOSLAB_PASSWORD_RESET_WINDOW_SECONDS
    windows = [Window(f"throttle:reset-address:{_hashed(client_address(request))}",
                      settings.MOSLAB_PASSWORD_RESETS, seconds),
               Window(f"throttle:reset-email:{_hashed(email)}", settings.MOSLAB_PASSWORD_RESETS, seconds)]
    if _full(windows) is not None:
        return (f"Too many password reset requests: try again in {_minutes(seconds)}. "
                "The mail sent before is still valid.")
    _count(windows)
    return None
