"""The rating session: the annotator's state and next tasks, and the next block claimed ahead of need."""
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from kombu.exceptions import KombuError

from annotation import selectors, tasks
from annotation.assignment_services import CLAIM_AHEAD, queue_fill
from annotation.enrolment_services import enrolment_finish_if_done, enrolment_get_or_start, enrolment_may_claim
from annotation.models import Enrolment
from annotation.protocol_services import protocol_current
from moslab_science.rating.protocol import Protocol
from studies.models import Study

logger = logging.getLogger(__name__)


def session_next(
    *, study: Study, user: AbstractBaseUser, enrolment: Enrolment | None = None, protocol: Protocol | None = None,
) -> tuple[Enrolment, dict]:
    """The annotator's state and next two tasks.

    When the queue is down to CLAIM_AHEAD pending tasks, a worker claims the next block in the
    background (`queue_refill`), so votes do not wait for claims; a queue that has run dry (no
    worker, or a late one) is filled here, in the request. After a vote, pass the `enrolment` and
    `protocol` that `rating_submit` returned: they are not read again, and the answer leaves out the
    study's number of rater places, which the page has.
    """
    after_vote = enrolment is not None
    enrolment = enrolment or enrolment_get_or_start(study=study, user=user)
    protocol = protocol or protocol_current(study=study)[1]
    pending = selectors.pending_tasks(study=study, user=user, limit=CLAIM_AHEAD + 1)
    may_claim = enrolment_may_claim(enrolment=enrolment, study=study)
    if not pending.tasks and may_claim:
        if queue_fill(study=study, user=user, protocol=protocol):
            pending = selectors.pending_tasks(study=study, user=user)
        else:
            enrolment = enrolment_finish_if_done(enrolment=enrolment, protocol=protocol)
    elif len(pending.tasks) == CLAIM_AHEAD and may_claim:
        transaction.on_commit(lambda: _queue_refill_dispatch(study_id=study.pk, user_id=user.pk))
    state = selectors.queue_state(study=study, enrolment=enrolment, pending=pending,
                                  block_size=protocol.block_size, with_total=not after_vote,
                                  show_prompt=protocol.show_prompt)
    state["completion_code"] = enrolment.completion_code if enrolment.phase == Enrolment.Phase.DONE else ""
    return enrolment, state


def _queue_refill_dispatch(*, study_id: int, user_id: int) -> None:
    """Ask a worker to claim the next block; a broker that is down costs no vote (the request claims instead)."""
    try:
        tasks.queue_refill_task.apply_async(kwargs={"study_id": study_id, "user_id": user_id}, retry=False)
    except (KombuError, OSError):
        logger.warning("Could not queue a block claim for user %s in study %s; the next empty queue claims it",
                       user_id, study_id, exc_info=True)


def queue_refill(*, study_id: int, user_id: int) -> int:
    """Claim the annotator's next block ahead of need (the worker's half of `session_next`).

    Claims only while the queue holds at most CLAIM_AHEAD pending tasks and the annotator may rate
    in the open study, so a late or repeated message adds nothing. Returns the tasks added.
    """
    enrolment = Enrolment.objects.filter(study_id=study_id, user_id=user_id).select_related("study", "user").first()
    if enrolment is None or not enrolment_may_claim(enrolment=enrolment, study=enrolment.study):
        return 0
    study = enrolment.study
    return queue_fill(study=study, user=enrolment.user, protocol=protocol_current(study=study)[1],
                      pending_at_most=CLAIM_AHEAD)
