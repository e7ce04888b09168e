"""Admin pages of runs: the launch form (adding a benchmark), read-only runs, cancel and retry actions.

Staff see the benchmarks of the studies they coordinate or research; launching, cancelling and retrying
go through run_services, which let only the study's researchers do them.
"""
import json

from django.contrib import admin, messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse

from common.errors import DomainError
from modeling import devices
from modeling.models import BenchmarkRun, TrainingRun
from modeling.runs import selectors as run_selectors
from modeling.runs import services as run_services
from modeling.runs.launch_form import BenchmarkLaunchForm, preset_values
from moslab_science.benchmarks import PRESETS
from studies.datasets import admin as dataset_admin
from studies.models import DatasetVersion, Membership

READ_ROLES = (Membership.Role.COORDINATOR, Membership.Role.RESEARCHER)


def studies_of(user, roles) -> Q:
    return Q(study__memberships__user_id=user.pk, study__memberships__role__in=list(roles))


class TrainingRunInline(admin.TabularInline):
    model = TrainingRun
    fields = ["model", "kind", "repeat", "split_name", "status", "progress", "epoch", "epochs", "attempt", "worker",
              "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BenchmarkRun)
class BenchmarkRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "name", "version", "preset", "device", "status", "requested_by", "created_at"]
    list_filter = ["status", "preset", "device"]
    readonly_fields = ["version", "name", "preset", "protocol", "model_names", "hyperparameters", "device", "status",
                       "launch_key", "requested_by", "started_at", "finished_at", "error"]
    inlines = [TrainingRunInline]
    actions = ["cancel", "retry"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("version__study", "requested_by")
        if request.user.is_superuser:
            return queryset
        versions = DatasetVersion.objects.filter(studies_of(request.user, READ_ROLES))
        return queryset.filter(version__in=versions)

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        versions = DatasetVersion.objects.filter(studies_of(request.user, [Membership.Role.RESEARCHER])) \
            .select_related("study").distinct()
        initial = {"preset": "ntire2024", "version": request.GET.get("version") or None}
        form = BenchmarkLaunchForm(request.POST or None, initial=initial, versions=versions)
        if request.method == "POST" and form.is_valid():
            try:
                benchmark = run_services.benchmark_launch(by=request.user, **form.launch_arguments())
            except DomainError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                runs = benchmark.training_runs.count()
                self.message_user(request, f"Benchmark #{benchmark.pk} queued: {runs} run(s) on the gpu queue.",
                                  messages.SUCCESS)
                for warning in run_selectors.benchmark_warnings(benchmark=benchmark):
                    self.message_user(request, warning, messages.WARNING)
                return redirect(reverse("modeling:benchmark", args=[benchmark.version.study_id, benchmark.pk]))
        presets = [{"label": p.label, "source": p.source, "models": p.models,
                    "hyperparameters_json": json.dumps(p.hyperparameters) if p.hyperparameters else "—"}
                   for p in PRESETS.values()]
        context = {**self.admin_site.each_context(request), "form": form, "presets": presets,
                   "preset_values": preset_values(), "workers": devices.live_workers(),
                   "live_seconds": devices.LIVE_SECONDS, "title": "Launch a benchmark", "opts": self.model._meta}
        return render(request, "admin/modeling/benchmark_launch.html", context)

    @admin.action(description="Cancel the selected benchmarks (running runs stop at their next step)")
    def cancel(self, request, queryset):
        self._each(request, queryset, run_services.benchmark_cancel, "cancelled or asked to stop")

    @admin.action(description="Retry the failed or cancelled runs of the selected benchmarks (resuming)")
    def retry(self, request, queryset):
        self._each(request, queryset, run_services.benchmark_retry, "queued again")

    def _each(self, request, queryset, service, done: str) -> None:
        for benchmark in queryset:
            try:
                count = service(benchmark=benchmark, by=request.user)
            except DomainError as error:
                self.message_user(request, f"Benchmark #{benchmark.pk}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"Benchmark #{benchmark.pk}: {count} run(s) {done}.", messages.SUCCESS)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "benchmark", "model", "repeat", "status", "progress", "epoch", "attempt", "worker"]
    list_filter = ["status", "kind"]
    exclude = ["assignment", "predictions"]
    readonly_fields = ["benchmark", "model", "kind", "repeat", "split_name", "config", "status", "progress", "epoch",
                       "epochs", "metrics", "result", "log", "worker", "attempt", "heartbeat_at", "cancel_requested",
                       "run_dir", "checkpoint", "started_at", "finished_at", "error"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("benchmark__version__study")
        if request.user.is_superuser:
            return queryset
        versions = DatasetVersion.objects.filter(studies_of(request.user, READ_ROLES))
        return queryset.filter(benchmark__version__in=versions)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def launch_link(version: DatasetVersion) -> tuple[str, str]:
    """The dataset version page's link that opens the launch form on it."""
    return reverse("admin:modeling_benchmarkrun_add") + f"?version={version.pk}", "Launch a benchmark on this version"


dataset_admin.version_link_add(launch_link)
