"""Coordinator pages: progress and annotator quality, the cross-check review queue, the rating history."""
import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from annotation import enrolment_services, protocol_services, review_services, selectors
from common.errors import DomainError
from common.views import scoped
from moslab_science.csv_safe import safe_cell
from studies import selectors as study_selectors
from studies.models import Membership

STAFF = (Membership.Role.COORDINATOR, Membership.Role.RESEARCHER)


def _study(request, study_id: int, roles=STAFF):
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=roles)


@login_required
@require_GET
@scoped
def overview(request, study_id: int):
    study = _study(request, study_id)
    _, protocol = protocol_services.protocol_current(study=study)
    annotators = selectors.annotator_quality(study=study, dimension=protocol.dimension_names[0])
    context = {
        "study": study, "coverage": selectors.stimulus_coverage(study=study), "annotators": annotators,
        "paused": [enrolment for enrolment, _, _ in annotators if enrolment.paused],
        "open_reviews": len(selectors.review_queue(study=study, hide_names=True)),
    }
    return render(request, "annotation/overview.html", context)


@login_required
@require_GET
@scoped
def review_queue(request, study_id: int):
    study = _study(request, study_id)
    hide = request.GET.get("names") != "1"
    _, protocol = protocol_services.protocol_current(study=study)
    rows = selectors.review_queue(study=study, hide_names=hide, dimensions=protocol.dimension_names)
    context = {"study": study, "rows": rows, "hide_names": hide, "aspects": protocol.aspects,
               "dimensions": protocol.dimensions, "relabel_rounds": protocol.relabel_rounds}
    return render(request, "annotation/review_queue.html", context)


@login_required
@require_POST
@scoped
def review_decide(request, study_id: int, review_id: int):
    study = _study(request, study_id, roles=[Membership.Role.COORDINATOR])
    review = selectors.review_get(study=study, review_id=review_id)
    action, note = request.POST.get("action"), request.POST.get("note", "")
    _, protocol = protocol_services.protocol_current(study=study)
    try:
        if action == "accept":
            review_services.review_accept(review=review, by=request.user, note=note)
        elif action == "relabel":
            raters = [int(pk) for pk in request.POST.getlist("rater") if pk.isdigit()]
            review_services.review_relabel(review=review, by=request.user, protocol=protocol,
                                           rater_ids=raters or None, note=note)
        elif action == "add_raters":
            count = request.POST.get("count", "1")
            review_services.review_add_raters(review=review, by=request.user,
                                              count=int(count) if count.isdigit() else 0, note=note)
        else:
            raise DomainError("Choose accept, relabel or add raters.")
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"{review.stimulus}: decision recorded.")
    return redirect("annotation:reviews", study_id=study.pk)


@login_required
@require_GET
@scoped
def history_csv(request, study_id: int):
    study = _study(request, study_id)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{study.slug}-rating-history.csv"'
    writer = csv.writer(response)
    for row in selectors.rating_history_rows(study=study):
        writer.writerow([safe_cell(json.dumps(v) if isinstance(v, dict) else v) for v in row])
    return response


@login_required
@require_POST
@scoped
def enrolment_resume(request, study_id: int, enrolment_id: int):
    study = _study(request, study_id, roles=[Membership.Role.COORDINATOR])
    enrolment = selectors.enrolment_get(study=study, enrolment_id=enrolment_id)
    enrolment_services.enrolment_resume(enrolment=enrolment, by=request.user, note=request.POST.get("note", ""))
    messages.info(request, f"{enrolment.user} may rate again.")
    return redirect("annotation:overview", study_id=study.pk)
