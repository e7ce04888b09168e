"""Writes of the crowd wing: the link's settings, self-enrolment from the link, the environment check, decisions."""
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotation.crowd.models import CrowdLink, CrowdParticipant
from annotation.enrolment_services import enrolment_get_or_start
from common.errors import DomainError, PermissionDeniedError
from moslab_science.rating.crowd import (
    Environment,
    completion_url_check,
    environment_problems,
    parameter_names_parse,
    platform_ids_capture,
)
from studies.models import Membership, Study
from studies.services import membership_add


@transaction.atomic
def crowd_link_update(
    *, study: Study, enabled: bool, parameters: str, completion_url: str = "", participant_cap: int | None = None,
) -> CrowdLink:
    """Switch the study's public link on or off and set what it captures, where it returns, how many it takes."""
    names = parameter_names_parse(parameters)
    template = completion_url_check(completion_url)
    if participant_cap is not None and participant_cap < 1:
        raise DomainError("The participant cap is a whole number of at least 1 (leave it empty for no cap).")
    link, _ = CrowdLink.objects.select_for_update(no_key=True).get_or_create(study=study)
    link.enabled, link.parameters, link.completion_url, link.participant_cap = (
        enabled, list(names), template, participant_cap)
    link.save()
    return link


@transaction.atomic
def crowd_participant_enrol(*, token: str, query: dict[str, str]) -> CrowdParticipant:
    """The participant who opened the public link: the same platform participant id always gets the same account.

    A new id gets an account with a generated username and no password (it signs in only through the link),
    enrolled as the study's annotator; the link's row is locked, so the cap holds and an id is enrolled once
    however many tabs open the link at once.
    """
    link = CrowdLink.objects.select_for_update(no_key=True).select_related("study").filter(token=token).first()
    if link is None or not link.enabled:
        raise PermissionDeniedError("This study link is not open. Check the address with the study's organisers.")
    study = link.study
    ids = platform_ids_capture(query, names=tuple(link.parameters))
    participant_id = ids[link.parameters[0]]
    participant = CrowdParticipant.objects.filter(study=study, participant_id=participant_id).select_related(
        "user").first()
    if participant is not None:
        return participant
    if study.status != Study.Status.OPEN:
        raise DomainError(f"{study.name} is not taking participants now; please return the study on your platform.")
    if link.participant_cap is not None and (
            CrowdParticipant.objects.filter(study=study).count() >= link.participant_cap):
        raise DomainError(f"{study.name} has all the participants it needs; please return the study on your "
                          "platform. Thank you for your interest.")
    user = get_user_model().objects.create_user(username=f"crowd-{study.pk}-{secrets.token_hex(5)}", password=None)
    membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
    enrolment_get_or_start(study=study, user=user, instructions_first=True)
    return CrowdParticipant.objects.create(study=study, user=user, participant_id=participant_id, platform_ids=ids)


def crowd_environment_record(
    *, participant: CrowdParticipant, environment: Environment, needed_px: tuple[int, int],
) -> list[str]:
    """Store what the browser reported and whether it can show the study's images at native size; the problems."""
    problems = environment_problems(environment, needed_px=needed_px)
    CrowdParticipant.objects.filter(pk=participant.pk).update(
        environment=environment.as_dict(), environment_ok=not problems, environment_problems=problems,
        environment_checked_at=timezone.now(), updated_at=timezone.now())
    participant.refresh_from_db()
    return problems


def crowd_participant_decide(*, participant: CrowdParticipant, decision: str, by: AbstractBaseUser) -> None:
    """A coordinator's approve or reject mark (for paying on the platform); it can be changed later."""
    if decision not in CrowdParticipant.Decision.values:
        raise DomainError(f"Choose one of {', '.join(CrowdParticipant.Decision.values)}.")
    CrowdParticipant.objects.filter(pk=participant.pk).update(
        decision=decision, decided_by=by, decided_at=timezone.now(), updated_at=timezone.now())
