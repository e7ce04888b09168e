"""Making, using and revoking personal API tokens."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiToken
from common.errors import DomainError

#: Every secret starts with this, so a leaked one is easy to search for (in logs, repositories).
SECRET_PREFIX = "mlt_"
#: The longest life a token may be given, in days.
MAX_DAYS = 366
#: last_used_at is written at most this often per token, not on every request.
USE_RECORD_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str, days: int | None) -> NewToken:
    """A new token for `user`, valid for `days` (None: until revoked). An account without a password (one a
    study's public link made for a crowd participant) rates in its browser only: it gets no token."""
    if not user.has_usable_password():
        raise DomainError("This account was made by a study's public link; it rates in the browser only and "
                          "cannot create API tokens.")
    name = name.strip()
    if not name or len(name) > 100:
        raise DomainError("Give the token a name of 1 to 100 characters (what it is for).")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise DomainError(f"A token lives 1 to {MAX_DAYS} days, or until revoked.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(user=user, name=name, prefix=secret[:12], digest=token_digest(secret),
                                            expires_at=expires)
    except IntegrityError:
        raise DomainError(f"You already have a token named {name!r}; choose another name.") from None
    return NewToken(token=token, secret=secret)


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (another user's token id reveals nothing)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise DomainError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The live token whose secret this is (its user active), else None; records when it was last used."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > USE_RECORD_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
