"""Challenge pages (HTML): the list, a new challenge, the challenge page, a phase's leaderboard, and downloads.

Participants' pages are built from the selectors' plain views (ChallengeOverview, SubmissionView, Leaderboard),
never from the challenge's dataset version or split, whose rows hold every MOS. A challenge that is not public
(or a phase, submission or chart of one) answers 404 to anyone but its organisers, as do other studies' rows.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from challenges import leaderboards, selectors, services
from challenges.baseline_services import baseline_from_run, runs_for_baselines
from challenges.forms import ChallengeForm, FactSheetForm, PhaseForm, organised_splits
from challenges.models import Phase
from challenges.submission_services import submission_cancel, submission_mark_final, submission_submit
from common import jobs
from common.body_limits import body_limit
from common.errors import DomainError, PermissionDeniedError
from common.views import scoped
from modeling.dashboards.views import _chart_csv
from moslab_science.challenges.predictions import MAX_BYTES
from moslab_science.charts.chart import slug_part
from moslab_science.charts.predictions import prediction_scatter

REFRESH_SECONDS = 5


def _challenge(request, slug: str):
    return selectors.challenge_get_for_user(slug=slug, user=request.user)


def _back(slug: str, anchor: str = ""):
    return redirect(reverse("challenges:detail", args=[slug]) + (f"#{anchor}" if anchor else ""))


@login_required
@require_GET
def challenge_list(request):
    rows = [{"slug": row.slug, "title": row.title, "is_public": row.is_public, "created_at": row.created_at}
            for row in selectors.challenges_for_user(user=request.user)]
    can_create = organised_splits(request.user).exists()
    return render(request, "challenges/list.html", {"challenges": rows, "can_create": can_create})


@login_required
@require_http_methods(["GET", "POST"])
def challenge_new(request):
    """Organisers (coordinators and researchers of a study with a dataset version) create a challenge."""
    form = ChallengeForm(request.POST or None, user=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        split = values["split"]
        try:
            challenge = services.challenge_create(
                version=split.version, split=split, slug=values["slug"], title=values["title"],
                terms=values["terms"], rules=values["rules"], score_spec={"formula": values["formula"]},
                is_public=values["is_public"], by=request.user)
        except DomainError as error:
            problems = error.problems or [str(error)]
        else:
            messages.success(request, f"Challenge {challenge.title} created; add its development and test phases.")
            return _back(challenge.slug, "organiser")
    status = 400 if request.method == "POST" else 200
    can_create = form.fields["split"].queryset.exists()
    return render(request, "challenges/new.html", {"form": form, "problems": problems, "can_create": can_create},
                  status=status)


def _detail_context(request, challenge) -> dict:
    overview = selectors.challenge_overview(challenge=challenge, user=request.user)
    history = selectors.team_submissions(challenge=challenge, user=request.user)
    phases, now = [], timezone.now()
    for info in overview.phases:
        rows = [view for view in history if view.phase_id == info.id]
        state = "open" if info.is_open else "upcoming" if now < info.opens_at else "closed"
        phases.append({"info": info, "state": state, "submissions": rows,
                       "final_choices": [view for view in rows if view.status == "succeeded"],
                       "final": next((view for view in rows if view.is_final), None)})
    context = {"overview": overview, "phases": phases, "max_mb": MAX_BYTES // (1024 * 1024),
               "refresh": any(view.status in jobs.ACTIVE for view in history),
               "refresh_seconds": REFRESH_SECONDS, "phase_form": None, "runs": [],
               "active_statuses": jobs.ACTIVE, "ended_early": jobs.ENDED_EARLY}
    if overview.is_organiser:
        phase_rows = selectors.phases_of(challenge=challenge)
        context["bundle"] = selectors.bundle_latest(challenge=challenge, user=request.user)
        context["phase_form"] = PhaseForm()
        context["scorable_parts"] = [part for part in overview.part_counts if part != "train"]
        context["runs"] = runs_for_baselines(phase=phase_rows[0], user=request.user) if phase_rows else []
        for phase, row in zip(phases, phase_rows, strict=True):
            phase["submission_count"] = len(selectors.submissions_for_organiser(
                challenge=challenge, user=request.user, phase=row))
    return context


def _render_detail(request, challenge, *, status: int = 200, **extra):
    context = _detail_context(request, challenge)
    context.update(extra)
    return render(request, "challenges/detail.html", context, status=status)


@login_required
@require_GET
@scoped
def challenge_detail(request, slug: str):
    return _render_detail(request, _challenge(request, slug))


def _act(request, slug: str, action, success: str, anchor: str = ""):
    """Run one service call on a challenge the user may see; a refusal is shown as a message on its page."""
    challenge = _challenge(request, slug)
    try:
        result = action(challenge)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success.format(result=result))
    return _back(challenge.slug, anchor)


@login_required
@require_POST
@scoped
def challenge_register(request, slug: str):
    accepted = request.POST.get("accept_terms") == "on"
    return _act(request, slug, lambda challenge: services.participant_register(
        challenge=challenge, user=request.user, accept_terms=accepted),
        "You are registered. Create a team or join one to submit.", "team")


@login_required
@require_POST
@scoped
def team_create(request, slug: str):
    return _act(request, slug, lambda challenge: services.team_create(
        challenge=challenge, name=request.POST.get("name", ""), by=request.user),
        "Team {result.name} created; share its join code with your teammates.", "team")


@login_required
@require_POST
@scoped
def team_join(request, slug: str):
    return _act(request, slug, lambda challenge: services.team_join(
        challenge=challenge, join_code=request.POST.get("join_code", ""), by=request.user),
        "You joined team {result.name}.", "team")


@login_required
@require_GET
@scoped
def bundle_download(request, slug: str):
    challenge = _challenge(request, slug)
    try:
        bundle = selectors.challenge_bundle_for_user(challenge=challenge, user=request.user)
    except DomainError as error:  # not registered, or the download is being prepared
        messages.error(request, str(error))
        return _back(challenge.slug, "data")
    response = FileResponse(bundle.file.open("rb"), as_attachment=True, filename=f"{challenge.slug}-data.zip")
    response["X-Content-SHA256"] = bundle.sha256
    return response


@body_limit(MAX_BYTES)
@login_required
@require_POST
@scoped
def submission_create(request, slug: str, phase_id: int):
    challenge = _challenge(request, slug)
    phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError("Choose a predictions file (CSV image,score, or a zip holding one CSV).")
        submission = submission_submit(phase=phase, by=request.user, filename=upload.name,
                                       content=upload.read(MAX_BYTES + 1))
    except PermissionDeniedError as error:
        messages.error(request, str(error))
        return _back(challenge.slug, "team")
    except DomainError as error:
        refusal = {"phase_id": phase.pk, "message": error.args[0], "problems": error.problems}
        return _render_detail(request, challenge, status=400, refusal=refusal)
    messages.success(request, f"Submission #{submission.pk} ({submission.original_name}) accepted; it is scored in "
                              "the background and this page shows its result.")
    return _back(challenge.slug, f"phase-{phase.pk}")


@login_required
@require_POST
@scoped
def submission_final(request, slug: str, phase_id: int):
    challenge = _challenge(request, slug)
    phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
    form = FactSheetForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, challenge, status=400, sheet_refusal={
            "phase_id": phase.pk, "message": "Choose one of your scored submissions.", "problems": [],
            "values": request.POST})
    view = selectors.submission_get_for_user(challenge=challenge, submission_id=form.cleaned_data["submission"],
                                             user=request.user)
    if view.phase_id != phase.pk:
        raise PermissionDeniedError("No such submission of your team in this phase.")
    submission = phase.submissions.get(pk=view.id)
    try:
        submission_mark_final(submission=submission, by=request.user, fact_sheet=form.fact_sheet())
    except PermissionDeniedError:
        raise
    except DomainError as error:
        return _render_detail(request, challenge, status=400, sheet_refusal={
            "phase_id": phase.pk, "message": error.args[0], "problems": error.problems, "values": request.POST})
    messages.success(request, f"Submission #{submission.pk} is your team's final entry of the "
                              f"{phase.get_kind_display().lower()} phase.")
    return _back(challenge.slug, f"phase-{phase.pk}")


@login_required
@require_POST
@scoped
def submission_cancel_view(request, slug: str, submission_id: int):
    selectors.submission_get_for_user(challenge=_challenge(request, slug), submission_id=submission_id,
                                      user=request.user)  # another team's: 404, as for its other pages
    return _act(request, slug, lambda challenge: submission_cancel(
        challenge=challenge, submission_id=submission_id, by=request.user),
        "Scoring of submission #{result.pk} cancelled; a running scoring stops before its scores are stored.", "team")


# Organisers -------------------------------------------------------------------------------------------------------


@login_required
@require_POST
@scoped
def bundle_cancel(request, slug: str):
    selectors.require_organiser(challenge=_challenge(request, slug), user=request.user)
    return _act(request, slug, lambda challenge: services.bundle_cancel(challenge=challenge, by=request.user),
                "Build of the download cancelled; a running build stops at its next image.", "organiser")


@login_required
@require_POST
@scoped
def bundle_rebuild(request, slug: str):
    selectors.require_organiser(challenge=_challenge(request, slug), user=request.user)
    return _act(request, slug, lambda challenge: services.bundle_rebuild(challenge=challenge, by=request.user),
                "The download is being built again (attempt {result.attempt}).", "organiser")



@login_required
@require_POST
@scoped
def phase_add(request, slug: str):
    challenge = _challenge(request, slug)
    selectors.require_organiser(challenge=challenge, user=request.user)
    form = PhaseForm(request.POST)
    if not form.is_valid():
        problems = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        messages.error(request, "The phase was not added.\n" + "\n".join(f"- {problem}" for problem in problems))
        return _back(challenge.slug, "organiser")
    return _act(request, slug, lambda challenge: services.phase_add(challenge=challenge, by=request.user,
                                                                     **form.cleaned_data),
                "The {result.kind} phase was added.", "organiser")


@login_required
@require_POST
@scoped
def challenge_visibility(request, slug: str):
    selectors.require_organiser(challenge=_challenge(request, slug), user=request.user)
    public = request.POST.get("is_public") == "1"
    return _act(request, slug, lambda challenge: services.challenge_update(
        challenge=challenge, by=request.user, is_public=public),
        "The challenge is now " + ("public: listed and open to registration." if public else "private."), "organiser")


def _organiser_phase(request, slug: str, phase_id: int) -> Phase:
    challenge = _challenge(request, slug)
    selectors.require_organiser(challenge=challenge, user=request.user)
    return selectors.phase_get(challenge=challenge, phase_id=phase_id)


@login_required
@require_POST
@scoped
def phase_publish(request, slug: str, phase_id: int):
    phase = _organiser_phase(request, slug, phase_id)
    services.phase_publish(phase=phase, by=request.user)
    messages.success(request, f"The results of the {phase.get_kind_display().lower()} phase are published.")
    return redirect("challenges:leaderboard", slug=slug, phase_id=phase.pk)


@login_required
@require_POST
@scoped
def baseline_create(request, slug: str, phase_id: int):
    phase = _organiser_phase(request, slug, phase_id)
    try:
        baseline = baseline_from_run(phase=phase, run_id=request.POST.get("run_id", ""), by=request.user)
    except PermissionDeniedError:
        raise
    except DomainError as error:
        messages.error(request, str(error))
        return _back(slug, "organiser")
    messages.success(request, f"Baseline {baseline.label} added: score {baseline.scores['score']:.4f}.")
    return redirect("challenges:leaderboard", slug=slug, phase_id=phase.pk)


# Leaderboards -----------------------------------------------------------------------------------------------------


def _scatter_charts(phase: Phase, user) -> list:
    """One scatter per entry against MOS with the 4th-order polynomial fit; empty while the MOS are hidden."""
    if not selectors.mos_visible(phase=phase, user=user):
        return []
    charts, taken = [], set()
    for series in leaderboards.leaderboard_scatter(phase=phase, user=user):
        slug = f"scatter-{'baseline-' if series.is_baseline else ''}{slug_part(series.label)}"[:60]
        while slug in taken:
            slug += "-x"
        taken.add(slug)
        chart = prediction_scatter(series.names, series.predictions, series.mos, fits=("poly4",), slug=slug,
                                   title=f"{series.label}{' · baseline' if series.is_baseline else ''}")
        low, high = min(series.mos), max(series.mos)
        pad = 0.08 * (high - low or 1)
        chart.figure["layout"]["yaxis"]["range"] = [low - pad, high + pad]  # a 4th-order fit can swing far out
        charts.append(chart)
    return charts


@login_required
@require_GET
@scoped
def leaderboard(request, slug: str, phase_id: int):
    challenge = _challenge(request, slug)
    phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
    board = leaderboards.leaderboard(phase=phase, user=request.user)
    overview = selectors.challenge_overview(challenge=challenge, user=request.user)
    charts = _scatter_charts(phase, request.user)
    base = reverse("challenges:leaderboard", args=[slug, phase.pk])
    return render(request, "challenges/leaderboard.html", {
        "overview": overview, "phase": next(info for info in overview.phases if info.id == phase.pk),
        "board": board, "has_sheets": board.scores_visible and any(row.fact_sheet for row in board.rows),
        "charts": [(chart, f"{base}{chart.slug}.csv") for chart in charts],
        "mos_visible": bool(charts) or selectors.mos_visible(phase=phase, user=request.user),
        "study": {"slug": slug},  # names the PNG/SVG downloads of the charts
    })


@login_required
@require_GET
@scoped
def leaderboard_csv(request, slug: str, phase_id: int):
    """The final table in the seed reports' layout (ranked teams, then baselines), once the scores are visible."""
    challenge = _challenge(request, slug)
    phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
    response = HttpResponse(leaderboards.final_table_csv(phase=phase, user=request.user),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{phase.kind}-final-table.csv"'
    return response


@login_required
@require_GET
@scoped
def chart_csv(request, slug: str, phase_id: int, chart: str):
    challenge = _challenge(request, slug)
    phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
    found = next((item for item in _scatter_charts(phase, request.user) if item.slug == chart), None)
    if found is None:
        raise Http404("This leaderboard has no such chart (the scatter plots appear once results are published).")
    return _chart_csv(found, f"{slug}-{phase.kind}-{found.slug}.csv")
