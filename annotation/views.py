"""The annotator's pages: instructions, then the rating page (training, qualification, rating), then done."""
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotation import enrolment_services, protocol_services, selectors, session_services, voting_services
from annotation.crowd import selectors as crowd_selectors
from annotation.models import Enrolment
from common.errors import DomainError
from common.views import scoped
from studies import selectors as study_selectors
from studies.models import Membership


class RatingForm(forms.Form):
    """The page without JavaScript posts this form; the JS page uses the API.

    A multi-dimension protocol's page posts `score-<dimension>` for each dimension instead of `score`.
    """

    task_id = forms.IntegerField()
    client_id = forms.UUIDField()
    score = forms.IntegerField(required=False)
    response_time_ms = forms.IntegerField(min_value=0, required=False)


def _scores_posted(post, protocol) -> dict[str, float | None]:
    scores = {}
    for name in protocol.dimension_names:
        try:
            scores[name] = float(post.get(f"score-{name}", ""))
        except ValueError:
            scores[name] = None  # the service says which dimension lacks a score
    return scores


def _study(request, study_id: int):
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR])


@login_required
@scoped
def rate(request, study_id: int):
    study = _study(request, study_id)
    if request.method == "POST":
        form = RatingForm(request.POST)
        _, protocol = protocol_services.protocol_current(study=study)
        if not form.is_valid() or (not protocol.dimensions and form.cleaned_data["score"] is None):
            messages.error(request, "The vote was incomplete; choose a score and submit again.")
            return redirect("annotation:rate", study_id=study.pk)
        data = form.cleaned_data
        task = selectors.task_get_for_user(study=study, user=request.user, task_id=data["task_id"])
        given = {"scores": _scores_posted(request.POST, protocol)} if protocol.dimensions else {"score": data["score"]}
        try:
            voting_services.rating_submit(
                task=task, user=request.user, client_id=data["client_id"],
                response_time_ms=data["response_time_ms"], **given,
            )
        except DomainError as error:
            messages.error(request, str(error))
        return redirect("annotation:rate", study_id=study.pk)
    participant = crowd_selectors.crowd_participant_for_user(study=study, user=request.user)
    if participant is not None and not participant.environment_ok:
        return redirect("annotation:crowd-check", study_id=study.pk)
    enrolment, state = session_services.session_next(study=study, user=request.user)
    record, protocol = protocol_services.protocol_current(study=study)
    if enrolment.phase == Enrolment.Phase.INSTRUCTIONS:
        examples = selectors.example_images(study=study, examples=protocol.examples)
        return render(request, "annotation/instructions.html", {"study": study, "protocol": protocol,
                                                                "examples": examples})
    progress = selectors.task_progress_for_user(study=study, user=request.user)
    task = selectors.task_next_for_user(study=study, user=request.user)
    if task is None and not enrolment.paused and not state["break_seconds_left"]:
        return_url = crowd_selectors.crowd_return_url(study=study, enrolment=enrolment) if participant else ""
        return render(request, "annotation/done.html", {"study": study, "progress": progress, "state": state,
                                                        "return_url": return_url})
    context = {
        "study": study, "task": task, "client_id": uuid.uuid4(), "progress": progress, "state": state,
        "protocol": protocol, "client_protocol": protocol.as_client(), "choices": protocol.choices(),
        "examples": selectors.example_images(study=study, examples=protocol.examples),
    }
    return render(request, "annotation/rate.html", context)


@login_required
@require_POST
@scoped
def start(request, study_id: int):
    study = _study(request, study_id)
    enrolment = enrolment_services.enrolment_get_or_start(study=study, user=request.user)
    try:
        enrolment_services.enrolment_accept_instructions(enrolment=enrolment)
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("annotation:rate", study_id=study.pk)
