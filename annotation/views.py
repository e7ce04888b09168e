"""The annotator's rating page: one assigned image at a time, shown pixel-exact."""
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from annotation import selectors, services
from common.errors import DomainError
from common.views import scoped
from studies import selectors as study_selectors
from studies.models import Membership


class RatingForm(forms.Form):
    task_id = forms.IntegerField()
    client_id = forms.UUIDField()
    score = forms.IntegerField()
    response_time_ms = forms.IntegerField(min_value=0, required=False)


@login_required
@scoped
def rate(request, study_id: int):
    study = study_selectors.study_get_for_user(
        study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR]
    )
    if request.method == "POST":
        form = RatingForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The vote was incomplete; choose a score and submit again.")
            return redirect("annotation:rate", study_id=study.pk)
        data = form.cleaned_data
        task = selectors.task_get_for_user(study=study, user=request.user, task_id=data["task_id"])
        try:
            services.rating_submit(
                task=task, user=request.user, score=data["score"], client_id=data["client_id"],
                response_time_ms=data["response_time_ms"],
            )
        except DomainError as error:
            messages.error(request, str(error))
        return redirect("annotation:rate", study_id=study.pk)
    task = selectors.task_next_for_user(study=study, user=request.user)
    progress = selectors.task_progress_for_user(study=study, user=request.user)
    if task is None:
        return render(request, "annotation/done.html", {"study": study, "progress": progress})
    labels = ["Bad", "Poor", "Fair", "Good", "Excellent"]
    context = {
        "study": study,
        "task": task,
        "client_id": uuid.uuid4(),
        "progress": progress,
        "choices": list(zip(range(1, 6), labels, strict=True)),
    }
    return render(request, "annotation/rate.html", context)
