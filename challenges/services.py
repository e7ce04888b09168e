"""Writes of the challenge app: challenges, phases, registration, teams, publication, baselines and the download.

Submissions are in `challenges.submission_services`.
"""
import datetime as dt
import hashlib
import logging
import secrets
import tempfile
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from challenges import tasks
from challenges.data import hidden_mos, part_names, parts_of, train_mos
from challenges.models import Baseline, Challenge, Participant, ParticipantBundle, Phase, Submission, Team
from challenges.selectors import bundle_latest, is_organiser, participant_get, require_organiser
from common import jobs
from common.errors import DomainError, PermissionDeniedError
from moslab_science.challenges.bundle import TRAIN_PART, BundleImage, participant_readme, write_participant_bundle
from moslab_science.challenges.predictions import check_mapping
from moslab_science.challenges.scoring import ScoreSpec, score_predictions
from moslab_science.datasets import content_hash
from moslab_science.files import file_sha256
from studies.models import DatasetSplit, DatasetVersion, Stimulus

logger = logging.getLogger(__name__)
EDITABLE = ("title", "rules", "terms", "score_spec", "is_public")
PHASE_EDITABLE = ("opens_at", "closes_at", "max_per_day", "max_total")


# Challenges and phases --------------------------------------------------------------------------------------------


@transaction.atomic
def challenge_create(
    *, version: DatasetVersion, split: DatasetSplit, slug: str, title: str, terms: str, score_spec: dict,
    by: AbstractBaseUser, rules: str = "", is_public: bool = False,
) -> Challenge:
    """A challenge on `split` of `version`; its participants' download is built after commit."""
    challenge = Challenge(version=version, split=split, slug=slug, title=title, rules=rules, terms=terms,
                          score_spec=score_spec, is_public=is_public, created_by=by)
    require_organiser(challenge=challenge, user=by)
    problems = []
    if split.version_id != version.pk:
        problems.append(f"the split {split.name} belongs to another version; take a split of v{version.number}")
    elif TRAIN_PART not in parts_of(challenge):
        problems.append(f"the split {split.name} has no {TRAIN_PART!r} part (its parts: "
                        f"{', '.join(parts_of(challenge))}); participants need training MOS")
    problems += _text_problems(title=title, terms=terms)
    if Challenge.objects.filter(slug=slug).exists():
        problems.append(f"the slug {slug!r} is taken; choose another")
    spec = _spec(score_spec, problems)
    if problems:
        raise DomainError("The challenge cannot be created.", problems=problems)
    challenge.score_spec = spec.as_dict()
    challenge.save()
    bundle_refresh(challenge=challenge)
    return challenge


def _spec(data, problems: list[str]) -> ScoreSpec | None:
    try:
        return ScoreSpec.from_dict(data)
    except DomainError as error:
        problems += [f"score formula: {problem}" for problem in error.problems] or [str(error)]
        return None


def _text_problems(*, title: str, terms: str) -> list[str]:
    problems = []
    if not title.strip():
        problems.append("give the challenge a title")
    if not terms.strip():
        problems.append("write the terms participants accept when registering")
    return problems


@transaction.atomic
def challenge_update(*, challenge: Challenge, by: AbstractBaseUser, **changes) -> Challenge:
    """Change title, rules, terms, score_spec or is_public; the formula is fixed once a submission exists."""
    require_organiser(challenge=challenge, user=by)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise DomainError(f"Cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE)}.")
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    problems = _text_problems(title=changes.get("title", challenge.title), terms=changes.get("terms", challenge.terms))
    if "score_spec" in changes:
        spec = _spec(changes["score_spec"], problems)
        if spec is not None:
            changes["score_spec"] = spec.as_dict()
            scored = Submission.objects.filter(phase__challenge=challenge).exists()
            if scored and spec.as_dict() != challenge.score_spec:
                problems.append("the score formula cannot change once teams have submitted")
    if problems:
        raise DomainError("The challenge was not changed.", problems=problems)
    for name, value in changes.items():
        setattr(challenge, name, value)
    challenge.save()
    bundle_refresh(challenge=challenge)
    return challenge


@transaction.atomic
def phase_add(
    *, challenge: Challenge, kind: str, part: str, opens_at: dt.datetime, closes_at: dt.datetime,
    max_per_day: int, max_total: int, by: AbstractBaseUser,
) -> Phase:
    require_organiser(challenge=challenge, user=by)
    problems = []
    if kind not in Phase.Kind.values:
        problems.append(f"kind {kind!r} is not one of {', '.join(Phase.Kind.values)}")
    elif challenge.phases.filter(kind=kind).exists():
        problems.append(f"the challenge has a {kind} phase already; change it instead")
    parts = parts_of(challenge)
    if part == TRAIN_PART or part not in parts:
        scorable = [name for name in parts if name != TRAIN_PART]
        problems.append(f"part {part!r} cannot be scored; choose one of {', '.join(scorable)}")
    problems += _phase_problems(opens_at=opens_at, closes_at=closes_at, max_per_day=max_per_day, max_total=max_total)
    if problems:
        raise DomainError("The phase cannot be added.", problems=problems)
    phase = Phase.objects.create(challenge=challenge, kind=kind, part=part, opens_at=opens_at, closes_at=closes_at,
                                 max_per_day=max_per_day, max_total=max_total)
    bundle_refresh(challenge=challenge)  # the README names what each phase scores
    return phase


def _phase_problems(*, opens_at, closes_at, max_per_day, max_total) -> list[str]:
    problems = []
    if closes_at <= opens_at:
        problems.append("the phase must close after it opens")
    for name, value in (("max_per_day", max_per_day), ("max_total", max_total)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{name} must be a whole number of at least 1, not {value!r}")
    return problems


@transaction.atomic
def phase_update(*, phase: Phase, by: AbstractBaseUser, **changes) -> Phase:
    """Change the dates or the limits of a phase (its kind and scored part are fixed)."""
    require_organiser(challenge=phase.challenge, user=by)
    unknown = sorted(set(changes) - set(PHASE_EDITABLE))
    if unknown:
        raise DomainError(f"Cannot change {', '.join(unknown)} of a phase; editable: {', '.join(PHASE_EDITABLE)}.")
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    values = {name: changes.get(name, getattr(phase, name)) for name in PHASE_EDITABLE}
    problems = _phase_problems(**values)
    if problems:
        raise DomainError("The phase was not changed.", problems=problems)
    for name, value in values.items():
        setattr(phase, name, value)
    phase.save()
    return phase


@transaction.atomic
def phase_publish(*, phase: Phase, by: AbstractBaseUser) -> Phase:
    """Show the phase's scores (and MOS scatter plots) to everyone; publishing twice keeps the first date."""
    require_organiser(challenge=phase.challenge, user=by)
    phase = Phase.objects.select_for_update().get(pk=phase.pk)
    if phase.results_published_at is None:
        phase.results_published_at = timezone.now()
        phase.save(update_fields=["results_published_at"])
    return phase


# Registration and teams -------------------------------------------------------------------------------------------


@transaction.atomic
def participant_register(*, challenge: Challenge, user: AbstractBaseUser, accept_terms: bool) -> Participant:
    """Register `user` (active, not an organiser) after they accept the terms; registering again is a no-op."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDeniedError("Log in with an active account to register.")
    challenge = Challenge.objects.get(pk=challenge.pk)  # as it is now: it may have been made private
    if not challenge.is_public:
        raise PermissionDeniedError("No such challenge, or it is not open to you.")
    existing = participant_get(challenge=challenge, user=user)
    if existing is not None:
        return existing
    if is_organiser(challenge=challenge, user=user):
        raise DomainError("Organisers see the hidden MOS, so they cannot take part in their own challenge.")
    if accept_terms is not True:
        raise DomainError("Accept the challenge's terms to register.")
    try:
        with transaction.atomic():
            return Participant.objects.create(
                challenge=challenge, user=user, accepted_terms_at=timezone.now(),
                terms_sha256=hashlib.sha256(challenge.terms.encode()).hexdigest(),
            )
    except IntegrityError:  # registered at the same moment from another request
        return Participant.objects.get(challenge=challenge, user=user)


def _participant_without_team(challenge: Challenge, user: AbstractBaseUser) -> Participant:
    participant = participant_get(challenge=challenge, user=user)
    if participant is None:
        raise PermissionDeniedError("Register for the challenge (accepting its terms) first.")
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.team_id is not None:
        raise DomainError(f"You are in team {participant.team.name} already; one team per person per challenge.")
    return participant


@transaction.atomic
def team_create(*, challenge: Challenge, name: str, by: AbstractBaseUser) -> Team:
    """A new team with `by` as its first member; members invite others with the team's join code."""
    participant = _participant_without_team(challenge, by)
    name = name.strip()
    if not name or len(name) > 80:
        raise DomainError("Give the team a name of 1 to 80 characters.")
    if Team.objects.filter(challenge=challenge, name__iexact=name).exists():
        raise DomainError(f"A team named {name!r} exists already; choose another name.")
    try:
        with transaction.atomic():
            team = Team.objects.create(challenge=challenge, name=name, join_code=secrets.token_urlsafe(16),
                                       created_by=by)
    except IntegrityError:
        raise DomainError(f"A team named {name!r} exists already; choose another name.") from None
    participant.team = team
    participant.save(update_fields=["team"])
    return team


@transaction.atomic
def team_join(*, challenge: Challenge, join_code: str, by: AbstractBaseUser) -> Team:
    participant = _participant_without_team(challenge, by)
    team = Team.objects.filter(challenge=challenge, join_code=join_code.strip()).first() if join_code else None
    if team is None:
        raise DomainError("No team of this challenge has that join code; ask a member of the team for it.")
    participant.team = team
    participant.save(update_fields=["team"])
    return team


# Baselines --------------------------------------------------------------------------------------------------------


@transaction.atomic
def baseline_add(*, phase: Phase, label: str, scores: dict[str, float], by: AbstractBaseUser) -> Baseline:
    """Score an organiser's predictions {image: score} of the phase's part now and list them as a baseline.

    Adding the same label with the same predictions again returns the existing row.
    """
    challenge = phase.challenge
    require_organiser(challenge=challenge, user=by)
    label = label.strip()
    if not label or len(label) > 120:
        raise DomainError("Give the baseline a label of 1 to 120 characters.")
    predictions = check_mapping(scores, expected=part_names(challenge, phase.part), part=phase.part)
    digest = content_hash(predictions)
    existing = Baseline.objects.filter(phase=phase, label=label).first()
    if existing is not None:
        if existing.predictions_sha256 == digest:
            return existing
        raise DomainError(f"The phase has a baseline labelled {label!r} with other predictions; choose another label.")
    result = score_predictions(ScoreSpec.from_dict(challenge.score_spec), predictions,
                               hidden_mos(challenge, phase.part))
    return Baseline.objects.create(phase=phase, label=label, predictions=predictions, predictions_sha256=digest,
                                   scores=result["figures"], created_by=by)


# The participants' download ---------------------------------------------------------------------------------------


def _readme(challenge: Challenge) -> str:
    parts = parts_of(challenge)
    stimuli = {item["name"]: item for item in challenge.version.items}
    missing = sum(1 for names in parts.values() for name in names if not stimuli[name]["sha256"])
    scored = {phase.get_kind_display(): phase.part for phase in challenge.phases.order_by("opens_at")}
    return participant_readme(
        title=challenge.title, rules=challenge.rules, score_text=ScoreSpec.from_dict(challenge.score_spec).text(),
        part_counts={part: len(names) for part, names in parts.items()},
        scored=scored or {"each phase": "(the part it names)"}, missing_media=missing,
    )


def _bundle_key(challenge: Challenge) -> str:
    return content_hash({
        "version": challenge.version.content_hash, "split": challenge.split.pk,
        "assignment": challenge.split.assignment, "readme": _readme(challenge),
    })


def bundle_refresh(*, challenge: Challenge, enqueue: bool = True) -> ParticipantBundle:
    """The bundle row for the challenge as it is now; a new one, built after commit, when its content changed."""
    key = _bundle_key(challenge)
    bundle, created = ParticipantBundle.objects.get_or_create(challenge=challenge, key=key)
    if created and enqueue:
        transaction.on_commit(lambda: tasks.bundle_build_task.delay(bundle_id=bundle.pk, attempt=1))
    return bundle


def bundle_build(*, bundle_id: int, attempt: int = 1, worker: str = "") -> ParticipantBundle:
    """Write the participants' zip; a failure is recorded on the row (common.jobs)."""
    return jobs.job_run(ParticipantBundle, job_id=bundle_id, attempt=attempt, worker=worker, work=_bundle_file)


def bundle_cancel(*, challenge: Challenge, by: AbstractBaseUser) -> ParticipantBundle:
    """Cancel the newest build: at once while queued, at its next image while running (common.jobs)."""
    bundle = bundle_latest(challenge=challenge, user=by)
    if bundle is None:
        raise DomainError("No build of the download to cancel.")
    return jobs.job_cancel(bundle, by=by)


def bundle_rebuild(*, challenge: Challenge, by: AbstractBaseUser) -> ParticipantBundle:
    """Build the download again after its newest build failed or was cancelled (the next attempt)."""
    bundle = bundle_latest(challenge=challenge, user=by)
    if bundle is None:
        raise DomainError("No build of the download yet; it starts when the challenge has data.")
    return jobs.job_requeue(bundle, send=lambda pk, attempt: tasks.bundle_build_task.delay(
        bundle_id=pk, attempt=attempt))


def _bundle_file(bundle: ParticipantBundle) -> dict:
    challenge = bundle.challenge
    if bundle.key != _bundle_key(challenge):
        raise DomainError("Superseded: the challenge changed before this build started; a newer build follows.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{challenge.slug}-participants.zip"
        _write_bundle(challenge, path, progress=lambda fraction: jobs.job_progress(bundle, fraction))
        digest, size = file_sha256(path), path.stat().st_size
        with path.open("rb") as handle:
            bundle.file.save(path.name, File(handle), save=False)
    return {"file": bundle.file, "sha256": digest, "size_bytes": size}


def _write_bundle(challenge: Challenge, path: Path, *, progress) -> None:
    parts = parts_of(challenge)
    names = {name for members in parts.values() for name in members}
    files = {item["stimulus_id"]: item for item in challenge.version.items if item["name"] in names and item["sha256"]}
    images = [BundleImage(files[stimulus.pk]["file"], stimulus.sha256, _reader(stimulus))
              for stimulus in Stimulus.objects.filter(study=challenge.version.study_id, pk__in=files)]
    if len(images) != len(files):
        raise ValueError(f"{len(files) - len(images)} stimuli of the version are no longer stored")
    train = sorted(train_mos(challenge).items())
    unlabelled = {part: members for part, members in parts.items() if part != TRAIN_PART}
    write_participant_bundle(path, images=images, train=train, unlabelled=unlabelled, readme=_readme(challenge),
                             progress=progress)


def _reader(stimulus: Stimulus):
    def read() -> bytes:
        with stimulus.file.open("rb") as handle:
            return handle.read()

    return read

