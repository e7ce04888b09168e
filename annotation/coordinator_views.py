"""Coordinator pages: progress and annotator quality, the cross-check review queue, the rating history."""
import csv
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotation import enrolment_services, protocol_services, review_services, selectors
from common.errors import DomainError
from common.views import scoped
from moslab_science.csv_safe import safe_cell
from studies import selectors as study_selectors
from studies.models import Membership

STAFF = (Membership.Role.COORDINATOR, Membership.Role.RESEARCHER)
REVIEWS_PER_PAGE = 50
BULK_LIMIT = 500  # as the API's bulk decision


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
        "open_reviews": selectors.open_reviews(study=study).count(),
    }
    return render(request, "annotation/overview.html", context)


class ReviewFilters(forms.Form):
    """The review queue's filters: disagreement size, a rater, a source content, a name."""

    min_spread = forms.FloatField(required=False, min_value=0, label="Votes span at least",
                                  help_text="points between the highest and the lowest vote")
    rater = forms.CharField(required=False, max_length=150)
    source = forms.CharField(required=False, max_length=255)
    search = forms.CharField(required=False, max_length=255, label="Name contains")


@login_required
@require_GET
@scoped
def review_queue(request, study_id: int):
    study = _study(request, study_id)
    hide = request.GET.get("names") != "1"
    _, protocol = protocol_services.protocol_current(study=study)
    filters = ReviewFilters(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    reviews = selectors.open_reviews_filtered(
        study=study, min_spread=chosen.get("min_spread"),
        **{key: chosen.get(key) or "" for key in ("rater", "source", "search")})
    page = Paginator(reviews, REVIEWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.review_rows(page.object_list, hide_names=hide, dimensions=protocol.dimension_names)
    for row in rows:
        row["spread"] = selectors.review_spread(row["review"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {"study": study, "rows": rows, "page": page, "matching": len(reviews), "hide_names": hide,
               "filters": filters, "choices": selectors.review_filter_choices(study=study, with_raters=not hide),
               "query": query.urlencode(),
               "open_total": selectors.open_reviews(study=study).count(), "aspects": protocol.aspects,
               "dimensions": protocol.dimensions, "relabel_rounds": protocol.relabel_rounds}
    return render(request, "annotation/review_queue.html", context)


@login_required
@require_POST
@scoped
def reviews_bulk_decide(request, study_id: int):
    """One decision (accept or relabel the deviating raters) on every review ticked, all or nothing."""
    study = _study(request, study_id, roles=[Membership.Role.COORDINATOR])
    ids = [int(pk) for pk in request.POST.getlist("review") if pk.isdigit()]
    action = request.POST.get("action", "")
    back = f"{reverse('annotation:reviews', args=[study.pk])}?{request.POST.get('query', '')}"
    if not ids:
        messages.error(request, "Tick the images to decide (or use Select all shown) first.")
        return redirect(back)
    if action not in ("accept", "relabel"):
        messages.error(request, "Choose Accept or Ask the deviating annotators to relabel.")
        return redirect(back)
    _, protocol = protocol_services.protocol_current(study=study)
    try:
        decided = review_services.reviews_decide(
            reviews=selectors.reviews_get(study=study, review_ids=ids[:BULK_LIMIT]), action=action,
            by=request.user, protocol=protocol, note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        done = "accepted" if action == "accept" else "sent back to their deviating annotators"
        messages.info(request, f"{len(decided)} image{pluralize(len(decided))} {done}.")
    return redirect(back)


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
