"""Writes about who takes part: members by username or e-mail (one, or a CSV all or nothing), invitation links."""
import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.services import token_digest
from common.errors import DomainError
from moslab_science.csv_table import read_csv
from moslab_science.errors import excerpt
from studies import selectors
from studies.models import Membership, Study
from studies.people.models import Invitation, InvitationUse
from studies.people.selectors import invitation_problem
from studies.services import membership_add

Role = Membership.Role
MAX_INVITATION_DAYS = 90
MAX_CSV_MEMBERS = 5000


def _role_problem(role: str) -> str | None:
    return None if role in Role.values else f"role {excerpt(role) or '(empty)'} must be one of {', '.join(Role.values)}"


def member_add(*, study: Study, identifier: str, role: str) -> Membership:
    """Give the account named by `identifier` (username or e-mail) a role; a role held already changes nothing."""
    if problem := _role_problem(role):
        raise DomainError(problem[0].upper() + problem[1:] + ".")
    return membership_add(study=study, user=selectors.user_get_by_identifier(identifier=identifier), role=role)


@transaction.atomic
def members_import_csv(*, study: Study, data: bytes) -> int:
    """Give roles from a CSV with the columns `user` (username or e-mail) and `role`, all or nothing, every
    problem listed at once; returns how many roles were new."""
    table = read_csv_members(data)
    problems, pairs = [], []
    for line, row in enumerate(table, start=2):
        role = row.get("role", "").strip().lower()
        try:
            user = selectors.user_get_by_identifier(identifier=row.get("user", ""))
        except DomainError as error:
            problems.append(f"line {line}: {error}")
            continue
        if problem := _role_problem(role):
            problems.append(f"line {line}: {problem}")
            continue
        pairs.append((user, role))
    if problems:
        raise DomainError("Nobody was added; fix the CSV.", problems=problems)
    added = 0
    for user, role in pairs:
        _, created = Membership.objects.get_or_create(study=study, user=user, role=role)
        added += created
    return added


def read_csv_members(data: bytes) -> list[dict[str, str]]:
    rows = read_csv(io.BytesIO(data), required=("user", "role"), label="The CSV").rows
    if len(rows) > MAX_CSV_MEMBERS:
        raise DomainError(f"The CSV has {len(rows)} rows; send at most {MAX_CSV_MEMBERS} at once.")
    return rows


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    secret: str  # the link's secret: shown once, never stored


def invitation_create(*, study: Study, role: str, by: AbstractBaseUser, days: int = 14,
                      max_uses: int | None = None, note: str = "") -> NewInvitation:
    """A link that gives its opener `role` in the study, for `days`, at most `max_uses` times (None: no cap)."""
    problems = []
    if problem := _role_problem(role):
        problems.append(problem)
    if not 1 <= days <= MAX_INVITATION_DAYS:
        problems.append(f"a link lives 1 to {MAX_INVITATION_DAYS} days ({days} given)")
    if max_uses is not None and max_uses < 1:
        problems.append(f"the cap on uses is at least 1, or empty for no cap ({max_uses} given)")
    if len(note) > 200:
        problems.append("the note takes at most 200 characters")
    if problems:
        raise DomainError("No link was made: " + "; ".join(problems) + ".")
    secret = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        study=study, role=role, digest=token_digest(secret), prefix=secret[:6], note=note.strip(),
        expires_at=timezone.now() + timedelta(days=days), max_uses=max_uses, created_by=by,
    )
    return NewInvitation(invitation=invitation, secret=secret)


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Stop a link at once; those who joined through it keep their role."""
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def invitation_accept(*, secret: str, user: AbstractBaseUser) -> Membership:
    """Give `user` the link's role in its study; the same person opening it again uses it up no further."""
    invitation = Invitation.objects.select_for_update().filter(digest=token_digest(secret)).first()
    if invitation is None:
        raise DomainError("This invitation link is not known: check that it was copied whole, or ask for a new one.")
    if InvitationUse.objects.filter(invitation=invitation, user=user).exists():
        return Membership.objects.get_or_create(study_id=invitation.study_id, user=user, role=invitation.role)[0]
    if problem := invitation_problem(invitation):
        raise DomainError(problem)
    InvitationUse.objects.create(invitation=invitation, user=user)
    Invitation.objects.filter(pk=invitation.pk).update(uses=F("uses") + 1)
    return Membership.objects.get_or_create(study_id=invitation.study_id, user=user, role=invitation.role)[0]
