"""``manage.py demo_benchmark SLUG``: the demo's benchmarks (AU-IQA zero-shot and NTIRE 2024) on a study's dataset.

It lets the researcher into the admin's run pages, snapshots the study's MOS as a dataset version when
it has none (computing the MOS first if needed) and launches two benchmarks as that researcher. They run
on the gpu worker, or here with --inline. Launching again while they are queued or running changes nothing.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from modeling.models import RunStatus
from modeling.runs import execution as run_execution
from modeling.runs import services as run_services
from moslab_science.benchmarks import PRESETS, Protocol
from studies import services
from studies.datasets import services as dataset_services
from studies.models import DatasetVersion, MosComputation, Study

RESEARCHER_PERMISSIONS = ("add_benchmarkrun", "view_benchmarkrun", "view_trainingrun", "view_datasetversion")
DEMO_EFFNET = {"train": {"epochs": 2, "batch_size": 4, "num_workers": 0}, "input": {"train_crop": 224}}


class Command(BaseCommand):
    help = "Launch the demo benchmarks (AU-IQA zero-shot, NTIRE 2024 with 3 repeats) on a study's dataset version."

    def add_arguments(self, parser):
        parser.add_argument("study", help="the study's slug, e.g. au-iqa-demo")
        parser.add_argument("--researcher", default="researcher", help="who launches (a researcher of the study)")
        parser.add_argument("--models", default="effnet-lite,brisque,niqe", help="the NTIRE 2024 benchmark's models")
        parser.add_argument("--repeats", type=int, default=3)
        parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
        parser.add_argument("--inline", action="store_true", help="run here, one run after another, not on a worker")

    def handle(self, *args, study: str, researcher: str, models: str, repeats: int, device: str, inline: bool,
               **options):
        target = Study.objects.filter(slug=study).first()
        user = get_user_model().objects.filter(username=researcher).first()
        if target is None or user is None:
            raise CommandError(f"No study {study!r} or no user {researcher!r}.")
        version = self._version(target)
        user.is_staff = True  # the launch form is in the admin
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*Permission.objects.filter(codename__in=RESEARCHER_PERMISSIONS))
        launches = [
            ("au-iqa", ["niqe"], PRESETS["au-iqa"].protocol, {}),
            ("ntire2024", [m.strip() for m in models.split(",") if m.strip()],
             Protocol(scheme="seeded", repeats=repeats, group_column="degradation", rank_by="ntire2024"), DEMO_EFFNET),
        ]
        for preset, names, protocol, hyperparameters in launches:
            try:
                benchmark = run_services.benchmark_launch(
                    version=version, by=user, models=names, protocol=protocol, hyperparameters=hyperparameters,
                    device=device, preset=preset)
            except DomainError as error:
                self.stdout.write(f"{PRESETS[preset].label}: not launched: {error}")
                continue
            self.stdout.write(f"Benchmark #{benchmark.pk} ({PRESETS[preset].label}): "
                              f"{benchmark.training_runs.count()} runs queued on dataset v{version.number}.")
            if inline:
                self._run_here(benchmark)

    def _version(self, study: Study) -> DatasetVersion:
        version = DatasetVersion.objects.filter(study=study).order_by("-number").first()
        if version is not None:
            return version
        if not MosComputation.objects.filter(study=study, status=MosComputation.Status.SUCCEEDED).exists():
            computation = services.mos_computation_start(study=study, by=study.created_by)
            computation = services.mos_computation_run(computation_id=computation.pk)
            if computation.status != MosComputation.Status.SUCCEEDED:
                raise CommandError(f"The MOS could not be computed: {computation.error}")
        return dataset_services.dataset_version_create(study=study, by=study.created_by, label="demo benchmark")

    def _run_here(self, benchmark) -> None:
        for run in benchmark.training_runs.order_by("repeat", "pk"):
            run_execution.training_run_execute(run_id=run.pk, attempt=run.attempt, worker="inline")
            run.refresh_from_db()
            figure = f"SRCC {run.result['srcc']:.3f}" if run.status == RunStatus.SUCCEEDED else run.error
            self.stdout.write(f"  run #{run.pk} {run.model} repeat {run.repeat}: {run.status} ({figure})")
