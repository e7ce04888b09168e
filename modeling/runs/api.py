"""JSON API for benchmark and training runs: validate, scope, one service call, serialise.

Coordinators and researchers of the study read; only its researchers launch, cancel and retry. Anyone
else gets 403 with the same message whether the study exists or not (common.api.exception_handler).
"""
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import page_of, page_response, query_filters
from common.errors import DomainError
from modeling import devices
from modeling.models import BenchmarkRun, Device, RunStatus, TrainingRun
from modeling.runs import selectors as run_selectors
from modeling.runs import services as run_services
from moslab_science.benchmarks import PRESETS, RANK_METRICS, SCHEMES
from moslab_science.benchmarks.launch import PROTOCOL_FIELDS, launch_request
from moslab_science.benchmarks.protocol import MAX_REPEATS
from moslab_science.charts.leaderboard import LEADERBOARD_METRICS
from moslab_science.datasets.ratios import SYNTAXES
from studies.datasets import selectors as dataset_selectors

SUMMARY_METRICS = ("n", "srcc", "plcc", "krcc")


class RunCountsOutput(serializers.Serializer):
    total = serializers.IntegerField(source="runs_total")
    mean_progress = serializers.FloatField(source="runs_progress", allow_null=True)
    queued = serializers.IntegerField(source="runs_queued")
    running = serializers.IntegerField(source="runs_running")
    succeeded = serializers.IntegerField(source="runs_succeeded")
    failed = serializers.IntegerField(source="runs_failed")
    cancelled = serializers.IntegerField(source="runs_cancelled")


class BenchmarkOutput(serializers.ModelSerializer):
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    protocol_text = serializers.SerializerMethodField()
    runs = RunCountsOutput(source="*", read_only=True)

    class Meta:
        model = BenchmarkRun
        fields = ["id", "name", "preset", "version", "version_number", "protocol", "protocol_text", "model_names",
                  "hyperparameters", "device", "status", "error", "requested_by", "created_at", "started_at",
                  "finished_at", "runs"]

    def get_protocol_text(self, benchmark: BenchmarkRun) -> str:
        return run_selectors.protocol_text(benchmark)


class ResultSummaryOutput(serializers.Serializer):
    n = serializers.IntegerField()
    srcc = serializers.FloatField(allow_null=True)
    plcc = serializers.FloatField(allow_null=True)
    krcc = serializers.FloatField(allow_null=True)


class TrainingRunSummaryOutput(serializers.ModelSerializer):
    test = serializers.SerializerMethodField(help_text="The scored part's headline figures, once the run succeeded.")

    class Meta:
        model = TrainingRun
        fields = ["id", "model", "kind", "repeat", "split_name", "status", "progress", "epoch", "epochs", "attempt",
                  "worker", "error", "cancel_requested", "started_at", "finished_at", "test",
                  "phase", "step", "steps_per_epoch", "images_per_second", "eta_seconds", "loss", "time_limit_seconds"]

    @extend_schema_field(ResultSummaryOutput(allow_null=True))
    def get_test(self, run: TrainingRun) -> dict | None:
        if "n" not in run.result:
            return None
        return ResultSummaryOutput({key: run.result.get(key) for key in SUMMARY_METRICS}).data


class TrainingRunDetailOutput(TrainingRunSummaryOutput):
    benchmark = serializers.IntegerField(source="benchmark_id", read_only=True)
    log_tail = serializers.SerializerMethodField()

    class Meta(TrainingRunSummaryOutput.Meta):
        fields = [*TrainingRunSummaryOutput.Meta.fields, "benchmark", "metrics", "result", "predictions", "config",
                  "checkpoint", "log_tail"]

    def get_log_tail(self, run: TrainingRun) -> str:
        return run_selectors.log_tail(run)


def _leaderboard_row_fields() -> dict:
    fields = {"rank": serializers.IntegerField(allow_null=True, help_text="The rank group: models a paired bootstrap "
                                              "cannot tell apart share it; null when not ranked."),
              "model": serializers.CharField(), "repeats": serializers.IntegerField(),
              "best": serializers.BooleanField(help_text="Alone in the first rank group (separably best)."),
              "lower_is_better": serializers.BooleanField(help_text="A lower-is-better measure (NIQE, BRISQUE...): "
                                                          "its figures are of -score."),
              "fit_notes": serializers.CharField(help_text="Fits behind the figures that collapsed into a step or "
                                                 "fell back to a line; empty when none.")}
    for metric, label in LEADERBOARD_METRICS:
        for part, text in (("mean", "mean over repeats"), ("std", "std over repeats (ddof 1)"),
                           ("ci95_low", "bootstrap 95% CI, low"), ("ci95_high", "bootstrap 95% CI, high")):
            fields[f"{metric}_{part}"] = serializers.FloatField(allow_null=True, help_text=f"{label}: {text}")
    return fields


LeaderboardRowOutput = type("LeaderboardRowOutput", (serializers.Serializer,), _leaderboard_row_fields())


class BenchmarkDetailOutput(BenchmarkOutput):
    training_runs = serializers.SerializerMethodField()
    leaderboard = serializers.SerializerMethodField(help_text="Models in rank groups by the protocol's metric (best "
                                                              "group first), recomputed from the succeeded runs' "
                                                              "predictions.")
    ranking_note = serializers.SerializerMethodField(help_text="How the rank groups were formed, with warnings "
                                                               "(a test part too small to rank).")
    warnings = serializers.SerializerMethodField(help_text="What to beware of, from the launch on: a test part "
                                                           "too small to rank models on (n < 30).")
    problems = serializers.SerializerMethodField(help_text="Succeeded runs whose predictions could not be evaluated.")

    class Meta(BenchmarkOutput.Meta):
        fields = [*BenchmarkOutput.Meta.fields, "training_runs", "leaderboard", "ranking_note", "warnings",
                  "problems"]

    @extend_schema_field(TrainingRunSummaryOutput(many=True))
    def get_training_runs(self, benchmark: BenchmarkRun) -> list:
        return TrainingRunSummaryOutput(run_selectors.training_runs_of(benchmark=benchmark), many=True).data

    @extend_schema_field(LeaderboardRowOutput(many=True))
    def get_leaderboard(self, benchmark: BenchmarkRun) -> list:
        chart = self.context["dashboard"].chart("leaderboard")
        return [] if chart is None else [dict(zip(chart.columns, row, strict=True)) for row in chart.rows]

    def get_ranking_note(self, benchmark: BenchmarkRun) -> str:
        chart = self.context["dashboard"].chart("leaderboard")
        return "" if chart is None else chart.note

    def get_warnings(self, benchmark: BenchmarkRun) -> list[str]:
        return run_selectors.benchmark_warnings(benchmark=benchmark)

    def get_problems(self, benchmark: BenchmarkRun) -> list[str]:
        return self.context["dashboard"].problems


def _detail(benchmark: BenchmarkRun) -> dict:
    dashboard = run_selectors.benchmark_dashboard_get(benchmark=benchmark)
    return BenchmarkDetailOutput(benchmark, context={"dashboard": dashboard}).data


class LaunchInput(serializers.Serializer):
    """A preset's protocol, models and hyperparameters, with any field given here laid over them."""

    version_id = serializers.IntegerField(help_text="A dataset version of this study.")
    preset = serializers.ChoiceField(choices=list(PRESETS), default="custom")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    models = serializers.ListField(child=serializers.CharField(max_length=80), required=False, default=list,
                                   help_text="Image or video architectures, brisque, niqe or run:<id>; empty: the "
                                             "preset's models.")
    scheme = serializers.ChoiceField(choices=SCHEMES, required=False)
    ratios = serializers.CharField(required=False, help_text=f"Seeded splits: {SYNTAXES}.")
    seed = serializers.IntegerField(min_value=0, required=False)
    repeats = serializers.IntegerField(min_value=1, max_value=MAX_REPEATS, required=False)
    split = serializers.CharField(required=False, allow_blank=True, help_text="stored_split: the version's split")
    cross_column = serializers.CharField(required=False, allow_blank=True)
    train_groups = serializers.ListField(child=serializers.CharField(), required=False)
    test_groups = serializers.ListField(child=serializers.CharField(), required=False)
    group_column = serializers.CharField(required=False, allow_blank=True,
                                         help_text="Per-group tables and MOS distributions by this group column.")
    rank_by = serializers.ChoiceField(choices=list(RANK_METRICS), required=False)
    hyperparameters = serializers.DictField(required=False, default=dict,
                                            help_text="Laid over the preset's (nested keys merged), then over "
                                                      "every model's configuration.")
    device = serializers.ChoiceField(choices=Device.choices, required=False,
                                     help_text="Default: cuda when a live gpu worker reports a CUDA device, else cpu; "
                                               "cuda is refused when none does.")
    time_limit_minutes = serializers.IntegerField(
        min_value=1, max_value=run_services.MAX_TIME_LIMIT_MINUTES, required=False, allow_null=True, default=None,
        help_text="Each trained run stops cleanly by then, its best validated epoch scored and its step kept.")


class BenchmarkListApi(APIView):
    """The study's benchmarks, newest first (GET), or launch one (POST, researchers)."""

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=RunStatus.choices, required=False, allow_blank=True, default="")
        version_id = serializers.IntegerField(required=False, min_value=1, allow_null=True, default=None,
                                              help_text="Only the benchmarks of this dataset version.")

    @extend_schema(parameters=[Filters], responses=page_of(BenchmarkOutput))
    def get(self, request, study_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        benchmarks = run_selectors.benchmarks_for_study(study=study, **query_filters(request, self.Filters))
        return page_response(request, benchmarks, BenchmarkOutput)

    @extend_schema(request=LaunchInput, responses={201: BenchmarkDetailOutput})
    def post(self, request, study_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        run_services.require_researcher(study_id=study.pk, user=request.user)
        data = LaunchInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        version = dataset_selectors.dataset_version_get(study=study, version_id=values["version_id"])
        launch = launch_request(preset=values["preset"], models=values["models"],
                                hyperparameters=values["hyperparameters"],
                                changes={key: values[key] for key in PROTOCOL_FIELDS if key in values})
        device = values.get("device") or devices.default_device()
        problem = devices.device_problem(device)
        if problem:
            raise DomainError(problem)
        benchmark = run_services.benchmark_launch(
            version=version, by=request.user, models=launch.models, protocol=launch.protocol,
            hyperparameters=launch.hyperparameters, device=device, preset=launch.preset,
            name=values["name"],
            time_limit_seconds=run_services.time_limit_from_minutes(values["time_limit_minutes"]),
        )
        return Response(_detail(run_selectors.benchmark_get(study=study, benchmark_id=benchmark.pk)), status=201)


class BenchmarkDetailApi(APIView):
    """One benchmark: its protocol, its training runs and the leaderboard of its succeeded runs."""

    @extend_schema(responses=BenchmarkDetailOutput)
    def get(self, request, study_id: int, benchmark_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        return Response(_detail(run_selectors.benchmark_get(study=study, benchmark_id=benchmark_id)))


class ControlOutput(serializers.Serializer):
    runs = serializers.IntegerField(help_text="How many runs were cancelled or queued again.")
    benchmark = BenchmarkOutput()


class BenchmarkCancelApi(APIView):
    """Cancel a benchmark (researchers): queued runs at once, running ones at their next training step."""

    @extend_schema(request=None, responses=ControlOutput)
    def post(self, request, study_id: int, benchmark_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        benchmark = run_selectors.benchmark_get(study=study, benchmark_id=benchmark_id)
        touched = run_services.benchmark_cancel(benchmark=benchmark, by=request.user)
        return Response(ControlOutput({"runs": touched, "benchmark": run_selectors.benchmark_get(
            study=study, benchmark_id=benchmark.pk)}).data)


class BenchmarkRetryApi(APIView):
    """Queue a finished benchmark's failed and cancelled runs again (researchers); trained runs resume."""

    @extend_schema(request=None, responses=ControlOutput)
    def post(self, request, study_id: int, benchmark_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        benchmark = run_selectors.benchmark_get(study=study, benchmark_id=benchmark_id)
        touched = run_services.benchmark_retry(benchmark=benchmark, by=request.user)
        return Response(ControlOutput({"runs": touched, "benchmark": run_selectors.benchmark_get(
            study=study, benchmark_id=benchmark.pk)}).data)


class TrainingRunDetailApi(APIView):
    """One training run: status, per-epoch metrics, the evaluation of its scored part, predictions, log tail."""

    @extend_schema(responses=TrainingRunDetailOutput)
    def get(self, request, study_id: int, benchmark_id: int, run_id: int):
        study = run_selectors.run_study_get(study_id=study_id, user=request.user)
        run = run_selectors.training_run_get(study=study, benchmark_id=benchmark_id, run_id=run_id)
        return Response(TrainingRunDetailOutput(run).data)

