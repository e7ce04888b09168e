"""Reads about who takes part, scoped to the study: invitation links and what each member has done."""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.services import token_digest
from common.errors import DomainError, PermissionDeniedError
from studies.models import Membership, Rating, Stimulus, Study
from studies.people.models import Invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the link gives no role now (revoked, expired, used up), in words for the person who opened it."""
    if invitation.revoked_at is not None:
        return "This invitation link was withdrawn by the study's coordinator; ask them for a new one."
    if invitation.expires_at <= timezone.now():
        return (f"This invitation link expired on {invitation.expires_at:%Y-%m-%d %H:%M} UTC; ask the study's "
                "coordinator for a new one.")
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return (f"This invitation link has been used by as many people as it allows ({invitation.max_uses}); ask "
                "the study's coordinator for a new one.")
    return None


def invitation_state(invitation: Invitation) -> str:
    """One word for a coordinator's list: active, revoked, expired or full."""
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= timezone.now():
        return "expired"
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return "full"
    return "active"


def invitation_get_by_secret(*, secret: str) -> Invitation:
    """The link's invitation with its study (to say what joining means), whatever its state."""
    invitation = Invitation.objects.select_related("study").filter(digest=token_digest(secret)).first()
    if invitation is None:
        raise DomainError("This invitation link is not known: check that it was copied whole, or ask for a new one.")
    return invitation


def invitations_for_study(*, study: Study, state: str = "") -> list[Invitation] | QuerySet[Invitation]:
    """The study's links, newest first; optionally only those in one `state` (active, revoked, expired, full)."""
    invitations = Invitation.objects.filter(study=study).select_related("created_by")
    if state:
        return [invitation for invitation in invitations if invitation_state(invitation) == state]
    return invitations


def invitation_get(*, study: Study, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.filter(study=study, pk=invitation_id).first()
    if invitation is None:
        raise PermissionDeniedError("No such invitation in this study.")
    return invitation


@dataclass(frozen=True)
class MemberActivity:
    user: AbstractBaseUser
    memberships: list[Membership]  # one per role held
    votes: int  # study votes (relabels included)
    quality_votes: int  # training, qualification, gold and repeat votes
    stimuli_rated: int
    last_vote_at: object  # datetime or None

    @property
    def roles(self) -> list[str]:
        return [membership.role for membership in self.memberships]


def member_activity(*, study: Study) -> tuple[list[MemberActivity], int]:
    """Who holds which roles, by username, with what each has done in the study; and the study's stimulus count
    (what an annotator's stimuli rated compare with)."""
    memberships = Membership.objects.filter(study=study).select_related("user").order_by("user__username", "role")
    rating = Q(ratings__study=study, ratings__purpose=Rating.Purpose.RATING)
    quality = Q(ratings__study=study) & ~Q(ratings__purpose=Rating.Purpose.RATING)
    users = {membership.user_id for membership in memberships}
    counts = {row["pk"]: row for row in get_user_model().objects.filter(pk__in=users).values("pk")
              .annotate(votes=Count("ratings", filter=rating), quality=Count("ratings", filter=quality),
                        stimuli=Count("ratings__stimulus", filter=rating, distinct=True),
                        last=Max("ratings__created_at", filter=Q(ratings__study=study)))} if users else {}
    grouped: dict[int, list[Membership]] = {}
    for membership in memberships:
        grouped.setdefault(membership.user_id, []).append(membership)
    rows = [MemberActivity(user=held[0].user, memberships=held, votes=counts[user_id]["votes"],
                           quality_votes=counts[user_id]["quality"], stimuli_rated=counts[user_id]["stimuli"],
                           last_vote_at=counts[user_id]["last"]) for user_id, held in grouped.items()]
    return rows, Stimulus.objects.filter(study=study).studied().count()
