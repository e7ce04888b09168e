"""Run pages (HTML): the study's benchmarks, one benchmark with its leaderboard, one training run, and their CSVs.

Coordinators and researchers read them; only researchers see and use Launch, Cancel and Retry (the services
check it again). Annotators and people outside the study get a 404, as on every dashboard.
"""
import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from common.errors import DomainError, PermissionDeniedError
from common.views import scoped
from modeling.dashboards.views import _chart_csv
from modeling.models import ACTIVE_STATUSES, RunStatus
from modeling.runs import selectors as run_selectors
from modeling.runs import services as run_services
from moslab_science.benchmarks.schedule import stage_progress

REFRESH_SECONDS = 10


def _launch_url() -> str | None:
    try:
        return reverse("admin:modeling_benchmarkrun_add")
    except NoReverseMatch:  # the admin of runs is not installed
        return None


def _benchmark_page(request, study, benchmark_id):
    benchmark = run_selectors.benchmark_get(study=study, benchmark_id=benchmark_id)
    dashboard = run_selectors.benchmark_dashboard_get(benchmark=benchmark)
    runs = list(run_selectors.training_runs_of(benchmark=benchmark))
    succeeded = sum(run.status == RunStatus.SUCCEEDED for run in runs)
    context = {
        "benchmark": benchmark, "runs": runs, "protocol_text": run_selectors.protocol_text(benchmark),
        "problems": dashboard.problems, "succeeded": succeeded, "active": run_selectors.is_active(benchmark),
        "retryable": any(run.status in (RunStatus.FAILED, RunStatus.CANCELLED) for run in runs),
        "hyperparameters": json.dumps(benchmark.hyperparameters, indent=2, sort_keys=True),
        "warnings": run_selectors.benchmark_warnings(benchmark=benchmark),
    }
    return context, dashboard.charts


def _training_page(request, study, benchmark_id, run_id):
    run = run_selectors.training_run_get(study=study, benchmark_id=benchmark_id, run_id=run_id)
    dashboard = run_selectors.training_run_dashboard_get(run=run)
    context = {
        "benchmark": run.benchmark, "run": run, "eta": _duration(run.eta_seconds),
        "time_limit": _duration(run.time_limit_seconds),
        "problems": dashboard.problems, "log_tail": run_selectors.log_tail(run),
        "log_cut": len(run.log) > run_selectors.LOG_TAIL_CHARACTERS, "active": run.status in ACTIVE_STATUSES,
        "config": json.dumps(run.config, indent=2, sort_keys=True),
        "protocol_text": run_selectors.protocol_text(run.benchmark),
        "schedule": stage_progress(run.stages, run.epoch, active=run.status in ACTIVE_STATUSES),
    }
    return context, dashboard.charts


def _duration(seconds: float | None) -> str:
    """1:02:03 for a number of seconds; "" for none."""
    return "" if seconds is None else str(timedelta(seconds=round(seconds)))


PAGES = {
    "benchmark": (_benchmark_page, "modeling/runs/benchmark.html"),
    "training": (_training_page, "modeling/runs/training.html"),
}


def _render_page(request, page: str, study_id: int, **kwargs):
    study = run_selectors.run_study_get(study_id=study_id, user=request.user)
    build, template = PAGES[page]
    context, charts = build(request, study, **kwargs)
    context.update(
        study=study, page="runs", can_launch=run_selectors.can_launch(study=study, user=request.user),
        refresh_seconds=REFRESH_SECONDS, charts=[(chart, f"{request.path}{chart.slug}.csv") for chart in charts],
    )
    return render(request, template, context)


@login_required
@require_GET
@scoped
def benchmark_list(request, study_id: int):
    study = run_selectors.run_study_get(study_id=study_id, user=request.user)
    benchmarks = list(run_selectors.benchmarks_for_study(study=study))
    can_launch = run_selectors.can_launch(study=study, user=request.user)
    return render(request, "modeling/runs/list.html", {
        "study": study, "page": "runs", "benchmarks": benchmarks, "can_launch": can_launch,
        "launch_url": _launch_url() if can_launch else None, "refresh_seconds": REFRESH_SECONDS,
        "active": any(run_selectors.is_active(benchmark) for benchmark in benchmarks),
    })


@login_required
@require_GET
@scoped
def benchmark_detail(request, study_id: int, benchmark_id: int):
    return _render_page(request, "benchmark", study_id, benchmark_id=benchmark_id)


@login_required
@require_GET
@scoped
def training_run_detail(request, study_id: int, benchmark_id: int, run_id: int):
    return _render_page(request, "training", study_id, benchmark_id=benchmark_id, run_id=run_id)


@login_required
@require_GET
@scoped
def chart_csv(request, study_id: int, page: str, slug: str, **kwargs):
    """The data of one chart of a run page, as CSV (cells guarded against spreadsheet formulas)."""
    study = run_selectors.run_study_get(study_id=study_id, user=request.user)
    build, _ = PAGES[page]
    _, charts = build(request, study, **kwargs)
    chart = next((chart for chart in charts if chart.slug == slug), None)
    if chart is None:
        raise Http404("This page has no such chart.")
    name = "-".join(str(part) for part in (study.slug, "benchmark", kwargs["benchmark_id"],
                                           *(("run", kwargs["run_id"]) if "run_id" in kwargs else ()), chart.slug))
    return _chart_csv(chart, f"{name}.csv")


def _control(request, study_id: int, benchmark_id: int, action: str):
    study = run_selectors.run_study_get(study_id=study_id, user=request.user)
    benchmark = run_selectors.benchmark_get(study=study, benchmark_id=benchmark_id)
    try:
        if action == "cancel":
            touched = run_services.benchmark_cancel(benchmark=benchmark, by=request.user)
            messages.success(request, f"Cancelled {touched} run(s): queued ones at once, running ones after their "
                                      "next training step, which their checkpoint keeps." if touched
                             else "No run was queued or running.")
        else:
            touched = run_services.benchmark_retry(benchmark=benchmark, by=request.user)
            messages.success(request, f"Queued {touched} failed or cancelled run(s) again; trained runs resume "
                                      "from their last checkpoint (the step they stopped after).")
    except PermissionDeniedError as error:
        raise PermissionDenied(str(error)) from None
    except DomainError as error:
        messages.error(request, str(error))
    return redirect("modeling:benchmark", study_id=study.pk, benchmark_id=benchmark.pk)


@login_required
@require_POST
@scoped
def benchmark_cancel(request, study_id: int, benchmark_id: int):
    return _control(request, study_id, benchmark_id, "cancel")


@login_required
@require_POST
@scoped
def benchmark_retry(request, study_id: int, benchmark_id: int):
    return _control(request, study_id, benchmark_id, "retry")
