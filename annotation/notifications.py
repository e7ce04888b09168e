"""Telling a study's coordinators that an annotator was paused (failed qualification or gold checks)."""
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from annotation.models import Enrolment
from studies.models import Membership

logger = logging.getLogger(__name__)


def pause_notify(*, enrolment_id: int) -> int:
    """Mail every coordinator of the study who has an address; returns how many were mailed.

    Runs after the vote's transaction commits; a mail server that fails is logged, and the pause
    still shows on the coordinator's annotation page.
    """
    enrolment = Enrolment.objects.select_related("study", "user").get(pk=enrolment_id)
    study = enrolment.study
    recipients = sorted(
        Membership.objects.filter(study=study, role=Membership.Role.COORDINATOR).exclude(user__email="")
        .values_list("user__email", flat=True).distinct()
    )
    if not recipients:
        logger.warning("No coordinator of %s has an e-mail address; %s is paused", study, enrolment.user)
        return 0
    page = settings.MOSLAB_SITE_URL + reverse("annotation:overview", args=[study.pk])
    body = (
        f"{enrolment.user.get_username()} can no longer rate in {study.name}: {enrolment.pause_reason}.\n\n"
        f"Review their votes and resume them, or leave them paused, on the annotation page:\n{page}\n"
    )
    try:
        send_mail(f"[moslab] {enrolment.user.get_username()} paused in {study.name}", body,
                  settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:
        logger.exception("Could not mail the coordinators of %s about %s", study, enrolment.user)
        return 0
    return len(recipients)
