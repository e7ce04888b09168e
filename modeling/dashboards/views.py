"""Dashboards of a study (HTML) and the CSV of each chart's data; coordinators and researchers only.

Each page builds its charts with the plain functions of ``moslab_science.charts`` from numbers the
selectors fetch; the CSV view rebuilds the same page's charts and writes the one named in the URL.
"""
import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from common.body_limits import body_limit
from common.errors import DomainError
from common.views import scoped
from modeling.dashboards import selectors, services
from moslab_science.charts import pages
from moslab_science.charts.chart import Chart
from moslab_science.charts.raters import agreement_statistics
from moslab_science.csv_safe import safe_cell


def _computation_tag(computation) -> str:
    return f"{computation.pk}-{computation.finished_at.timestamp() if computation.finished_at else ''}"


def _dimension(request, study) -> dict:
    """The page's rating dimension (?dimension=) and the picker's choices."""
    return {"dimension": selectors.dashboard_dimension(study=study, dimension=request.GET.get("dimension")),
            "dimensions": selectors.dashboard_dimensions(study=study)}


def _mos_page(request, study):
    context = _dimension(request, study)
    computation = selectors.mos_computation_latest(study=study, dimension=context["dimension"])
    charts = []
    if computation is not None:
        items = selectors.mos_items(computation=computation)
        if items:
            charts = pages.mos_dashboard(items, scale=(study.scale_min, study.scale_max))
    return {**context, "computation": computation}, charts


def _rater_page(request, study):
    context = _dimension(request, study)
    computation = selectors.mos_computation_chosen(study=study, computation_id=request.GET.get("computation"),
                                                   dimension=context["dimension"])
    if computation is not None:
        context["dimension"] = computation.dimension  # a computation named in the URL sets the dimension
    charts = []
    if computation is not None and computation.status == computation.Status.SUCCEEDED:
        agreement = agreement_statistics(selectors.computation_scores(computation=computation))
        charts = pages.rater_dashboard(selectors.rater_rows(computation=computation), agreement,
                                       method=computation.method)
    return {**context, "computation": computation}, charts


def _predictions_page(request, study):
    dimension = selectors.dashboard_dimension(study=study, dimension=request.GET.get("dimension"))
    computation = selectors.mos_computation_latest(study=study, dimension=dimension)
    sets = selectors.prediction_sets_for_study(study=study)
    context = {"computation": computation, "sets": sets, "problems": []}
    if computation is None or not sets:
        return context, []
    items = {item.name: item for item in selectors.mos_items(computation=computation)}
    results, names_by_model = {}, {}
    for prediction_set in sets:
        try:
            scores = prediction_set.scores()
        except DomainError as error:
            context["problems"].append(f"{prediction_set.model}: {error}")
            continue
        names = [name for name in items if name in scores]
        results[prediction_set.model] = ([scores[n] for n in names], [items[n].mos for n in names])
        names_by_model[prediction_set.model] = names
    if not results:
        return context, []
    shared = len({tuple(names) for names in names_by_model.values()}) == 1
    groups = [items[name].groups for name in next(iter(names_by_model.values()))] if shared else None
    protocol = (f"Each model's predictions against the MOS of computation #{computation.pk} "
                f"({computation.get_method_display()}), on every image it predicted that has a MOS; no training "
                f"split is involved. CIs: percentile bootstrap over images, seed 0.")
    if not shared:
        protocol += " The models predicted different images, so no per-group table compares them."
    key = f"dashboards:compare:{study.pk}:{_computation_tag(computation)}:{','.join(s.key for s in sets)}"
    try:
        return context, selectors.evaluation_cached(
            key, lambda: pages.comparison_dashboard(results, groups, protocol=protocol))
    except DomainError as error:
        context["problems"].append(str(error))
        return context, []


def _prediction_set_page(request, study, key):
    prediction_set = selectors.prediction_set_get(study=study, key=key)
    dimension = selectors.dashboard_dimension(study=study, dimension=request.GET.get("dimension"))
    computation = selectors.mos_computation_latest(study=study, dimension=dimension)
    context = {"computation": computation, "prediction_set": prediction_set, "problems": [], "coverage": None}
    if computation is None:
        return context, []
    try:
        scores = prediction_set.scores()
        items = [item for item in selectors.mos_items(computation=computation) if item.name in scores]
        context["coverage"] = {"evaluated": len(items), "predicted": len(scores),
                               "with_mos": computation.results.filter(mos__isnull=False).count()}
        dashboard = selectors.evaluation_cached(
            f"dashboards:prediction-set:{study.pk}:{_computation_tag(computation)}:{key}",
            lambda: pages.prediction_dashboard(
                prediction_set.model, [i.name for i in items], [scores[i.name] for i in items],
                [i.mos for i in items], [i.groups for i in items],
            ),
        )
    except DomainError as error:
        context["problems"].append(str(error))
        return context, []
    context["evaluation"] = dashboard.evaluation
    return context, dashboard.charts


PAGES = {
    "mos": (_mos_page, "modeling/mos_dashboard.html"),
    "raters": (_rater_page, "modeling/rater_dashboard.html"),
    "predictions": (_predictions_page, "modeling/predictions.html"),
    "prediction-set": (_prediction_set_page, "modeling/prediction_set.html"),
}


def _render_page(request, page: str, study_id: int, **kwargs):
    study = selectors.dashboard_study_get(study_id=study_id, user=request.user)
    build, template = PAGES[page]
    context, charts = build(request, study, **kwargs)
    query = request.GET.urlencode()
    csv_base = request.path
    context.update(
        study=study, page=page,
        charts=[(chart, f"{csv_base}{chart.slug}.csv" + (f"?{query}" if query else "")) for chart in charts],
    )
    return render(request, template, context)


@login_required
@require_GET
@scoped
def mos_dashboard(request, study_id: int):
    return _render_page(request, "mos", study_id)


@login_required
@require_GET
@scoped
def rater_dashboard(request, study_id: int):
    return _render_page(request, "raters", study_id)


@body_limit(services.MAX_PREDICTION_BYTES)
@login_required
@require_http_methods(["GET", "POST"])
@scoped
def predictions_dashboard(request, study_id: int):
    if request.method == "POST":
        study = selectors.dashboard_study_get(study_id=study_id, user=request.user)
        upload = request.FILES.get("predictions")
        try:
            if upload is None:
                raise DomainError("Choose a predictions CSV (columns image,score) to upload.")
            prediction_set = services.prediction_set_store(
                study=study, model=request.POST.get("model", ""), content=upload.read(), filename=upload.name,
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("modeling:predictions", study_id=study.pk)
        return redirect("modeling:prediction-set", study_id=study.pk, key=prediction_set.key)
    return _render_page(request, "predictions", study_id)


@login_required
@require_GET
@scoped
def prediction_set_dashboard(request, study_id: int, key: str):
    return _render_page(request, "prediction-set", study_id, key=key)


@login_required
@require_GET
@scoped
def chart_csv(request, study_id: int, page: str, slug: str, key: str = ""):
    """The data of one chart of a dashboard page, as CSV (cells guarded against spreadsheet formulas)."""
    study = selectors.dashboard_study_get(study_id=study_id, user=request.user)
    build, _ = PAGES[page]
    _, charts = build(request, study, **({"key": key} if key else {}))
    chart = next((chart for chart in charts if chart.slug == slug), None)
    if chart is None:
        raise Http404("This page has no such chart.")
    return _chart_csv(chart, f"{study.slug}-{key or page}-{chart.slug}.csv")


def _chart_csv(chart: Chart, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(chart.columns)
    for row in chart.rows:
        writer.writerow([safe_cell("" if cell is None else cell) for cell in row])
    return response

