"""Baselines from trained moslab models: a succeeded training run of the challenge's study, scored as a baseline."""
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from challenges.data import part_names
from challenges.models import Baseline, Phase
from challenges.selectors import require_organiser
from challenges.services import baseline_add
from common.errors import DomainError
from modeling.models import RunStatus, TrainingRun
from moslab_science.benchmarks.configs import RUN_PREFIX, ZERO_SHOT_MODELS


def runs_for_baselines(*, phase: Phase, user: AbstractBaseUser) -> list[TrainingRun]:
    """The succeeded runs of the challenge's study an organiser may pick from (newest first)."""
    challenge = phase.challenge
    require_organiser(challenge=challenge, user=user)
    return list(TrainingRun.objects.filter(benchmark__version__study=challenge.version.study_id,
                                           status=RunStatus.SUCCEEDED)
                .select_related("benchmark__version").order_by("-finished_at", "-pk")[:200])


@transaction.atomic
def baseline_from_run(*, phase: Phase, run_id, by: AbstractBaseUser) -> Baseline:
    """Score the predictions of training run `run_id` on the phase's part and list them as a baseline.

    The run must have succeeded, belong to a benchmark of the challenge's study and have predicted every image of
    the phase's part (a zero-shot benchmark scores every item). Its label is ``"<model> (run #<id>)"``; adding the
    same run twice returns the first baseline.
    """
    challenge = phase.challenge
    require_organiser(challenge=challenge, user=by)
    run = None
    if str(run_id).isdigit():
        run = TrainingRun.objects.select_related("benchmark__version").filter(
            pk=int(run_id), benchmark__version__study=challenge.version.study_id).first()
    if run is None:
        raise DomainError(f"No training run #{run_id} in this challenge's study; pick a run of a benchmark on one of "
                          "its dataset versions.")
    if run.status != RunStatus.SUCCEEDED:
        raise DomainError(f"Run #{run.pk} ({run.model}) is {run.status}; only a succeeded run can be a baseline.")
    expected = part_names(challenge, phase.part)
    covered = [name for name in expected if name in run.predictions]
    if len(covered) < len(expected):
        raise DomainError(
            f"Run #{run.pk} ({run.model}) predicted {len(covered)} of the {len(expected)} images of the "
            f"{phase.part} part; a baseline needs every one.",
            problems=[f"Launch a zero-shot benchmark of {_zero_shot_model(run)} on dataset version "
                      f"{challenge.version.number} (admin, Benchmark runs, Add: scheme zero_shot); it scores every "
                      "item. Then add that benchmark's run as the baseline."],
        )
    scores = {name: run.predictions[name] for name in expected}
    return baseline_add(phase=phase, label=f"{run.model} (run #{run.pk})", scores=scores, by=by)


def _zero_shot_model(run: TrainingRun) -> str:
    """What a zero-shot benchmark scoring every item with the model of `run` names."""
    if run.kind == TrainingRun.Kind.TRAIN:
        return f"the model {RUN_PREFIX}{run.pk} (this trained run)"
    if run.model in ZERO_SHOT_MODELS or run.model.startswith(RUN_PREFIX):
        return f"the model {run.model}"
    return f"a zero-shot model ({', '.join(ZERO_SHOT_MODELS)}, or {RUN_PREFIX}<id> of a trained run)"
