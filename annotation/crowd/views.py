"""The crowd wing's pages: the public link, the environment check, and the coordinator's code list."""
import csv

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotation.crowd import selectors, services
from annotation.crowd.models import CrowdParticipant
from common.errors import DomainError, PermissionDeniedError
from common.views import scoped
from moslab_science.csv_safe import safe_cell
from moslab_science.rating.crowd import Environment
from studies import selectors as study_selectors
from studies.models import Membership


class LinkForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Public link on")
    parameters = forms.CharField(max_length=300, label="URL parameters to capture (the participant id's first)")
    completion_url = forms.CharField(max_length=500, required=False, label="Completion address ({code} is filled in)")
    participant_cap = forms.IntegerField(min_value=1, required=False, label="Participant cap (empty: none)")


class EnvironmentForm(forms.Form):
    user_agent = forms.CharField(max_length=500, required=False)
    screen_width = forms.IntegerField(min_value=0, max_value=100_000)
    screen_height = forms.IntegerField(min_value=0, max_value=100_000)
    window_width = forms.IntegerField(min_value=0, max_value=100_000)
    window_height = forms.IntegerField(min_value=0, max_value=100_000)
    device_pixel_ratio = forms.FloatField(min_value=0.1, max_value=16)
    zoom = forms.FloatField(min_value=0.01, max_value=100)

    def environment(self) -> Environment:
        data = self.cleaned_data
        return Environment(user_agent=data["user_agent"], screen=(data["screen_width"], data["screen_height"]),
                           window=(data["window_width"], data["window_height"]),
                           device_pixel_ratio=data["device_pixel_ratio"], zoom=data["zoom"])


@require_GET
def join(request, token: str):
    """The public link: enrol (or find again) the platform participant, sign them in, go to the environment check."""
    try:
        participant = services.crowd_participant_enrol(token=token, query=request.GET.dict())
    except PermissionDeniedError as error:
        return render(request, "annotation/crowd/refused.html", {"message": str(error)}, status=404)
    except DomainError as error:
        return render(request, "annotation/crowd/refused.html",
                      {"message": str(error).split("\n")[0], "problems": error.problems}, status=400)
    if request.user.pk != participant.user_id:
        login(request, participant.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect("annotation:crowd-check", study_id=participant.study_id)


@login_required
@scoped
def check(request, study_id: int):
    study = study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR])
    participant = selectors.crowd_participant_for_user(study=study, user=request.user)
    if participant is None:
        raise Http404("The environment check is for participants who came through the study's public link.")
    needed = selectors.stimulus_size_needed(study=study)
    problems = participant.environment_problems if participant.environment_checked_at else []
    if request.method == "POST":
        form = EnvironmentForm(request.POST)
        if not form.is_valid():
            problems = ["Your browser did not send the check; allow JavaScript for this site and check again."]
        else:
            problems = services.crowd_environment_record(participant=participant, environment=form.environment(),
                                                         needed_px=needed)
            if not problems:
                return redirect("annotation:rate", study_id=study.pk)
    return render(request, "annotation/crowd/check.html",
                  {"study": study, "needed": needed, "problems": problems}, status=200)


def _coordinated(request, study_id: int):
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user,
                                              roles=[Membership.Role.COORDINATOR])


def _link_address(request, link) -> str:
    return request.build_absolute_uri(reverse("annotation:crowd-join", args=[link.token]))


@login_required
@require_GET
@scoped
def codes(request, study_id: int):
    study = _coordinated(request, study_id)
    link = selectors.crowd_link_for_study(study=study)
    code = request.GET.get("code", "").strip()[:40]
    rows = selectors.crowd_code_rows(study=study)
    found = selectors.crowd_code_rows(study=study, code=code) if code else None
    form = LinkForm(initial={"enabled": link.enabled, "parameters": ", ".join(link.parameters),
                             "completion_url": link.completion_url, "participant_cap": link.participant_cap})
    address = _link_address(request, link) if link.pk else ""
    example = address + "?" + "&".join(f"{name}={{{{%{name}%}}}}" for name in link.parameters) if address else ""
    context = {"study": study, "link": link, "address": address, "example": example, "form": form, "rows": rows,
               "code": code, "found": found, "computation": selectors.latest_mos_computation(study=study),
               "decisions": CrowdParticipant.Decision}
    return render(request, "annotation/crowd/codes.html", context)


@login_required
@require_POST
@scoped
def link_update(request, study_id: int):
    study = _coordinated(request, study_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        problems = [f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()]
        messages.error(request, "The public link was not changed:\n" + "\n".join(problems))
        return redirect("annotation:crowd-codes", study_id=study.pk)
    try:
        link = services.crowd_link_update(study=study, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, f"The public link was not changed: {error}")
    else:
        messages.info(request, "The public link is on." if link.enabled else "The public link is off.")
    return redirect("annotation:crowd-codes", study_id=study.pk)


@login_required
@require_POST
@scoped
def decide(request, study_id: int, participant_pk: int):
    study = _coordinated(request, study_id)
    participant = selectors.crowd_participant_get(study=study, participant_pk=participant_pk)
    try:
        services.crowd_participant_decide(participant=participant, decision=request.POST.get("decision", ""),
                                          by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"{participant.participant_id}: marked {request.POST['decision']}.")
    return redirect("annotation:crowd-codes", study_id=study.pk)


@login_required
@require_GET
@scoped
def codes_csv(request, study_id: int):
    study = _coordinated(request, study_id)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-crowd-codes.csv"'
    writer = csv.writer(response)
    for row in selectors.crowd_code_csv_rows(selectors.crowd_code_rows(study=study)):
        writer.writerow([safe_cell(cell) for cell in row])
    return response
