"""Training, qualification and gold images: single ones, or a whole CSV all or nothing."""
from django.db import transaction

from annotation.models import QualityItem, RatingTask
from common.errors import DomainError
from moslab_science.rating.quality_csv import QualityRow, check_quality_records, read_quality_rows
from studies.models import Stimulus, Study

Kind = RatingTask.Kind


@transaction.atomic
def quality_item_add(
    *, study: Study, stimulus: Stimulus, kind: str, reference_score: float, tolerance: float = 1.0,
    explanation: str = "",
) -> QualityItem:
    if stimulus.study_id != study.pk:
        raise DomainError("This stimulus is not part of this study.")
    if RatingTask.objects.filter(stimulus=stimulus, kind=Kind.RATING).exists():
        raise DomainError(f"{stimulus} is assigned for rating already; use another image as a {kind} item.")
    item, _ = QualityItem.objects.update_or_create(
        study=study, stimulus=stimulus, kind=kind,
        defaults={"reference_score": reference_score, "tolerance": tolerance, "explanation": explanation},
    )
    if not stimulus.is_quality_item:
        stimulus.is_quality_item = True
        stimulus.save(update_fields=["is_quality_item", "updated_at"])
    return item


def quality_items_import(*, study: Study, text: str) -> int:
    """Add the training, qualification and gold images of a CSV, all or nothing; returns how many."""
    rows, problems = read_quality_rows(text, scale=(study.scale_min, study.scale_max))
    return _quality_rows_add(study=study, rows=rows, problems=problems, source="the CSV")


def quality_items_add_records(*, study: Study, records: list[dict]) -> int:
    """Add the training, qualification and gold images of `records` (dicts with the CSV's columns as keys),
    all or nothing; returns how many."""
    rows, problems = check_quality_records(((f"item {index}", record) for index, record in enumerate(records, 1)),
                                           scale=(study.scale_min, study.scale_max))
    return _quality_rows_add(study=study, rows=rows, problems=problems, source="the items")


@transaction.atomic
def _quality_rows_add(*, study: Study, rows: list[QualityRow], problems: list[str], source: str) -> int:
    stimuli = {s.name: s for s in Stimulus.objects.filter(study=study, name__in=[row.file for row in rows])}
    assigned = set(RatingTask.objects.filter(study=study, kind=Kind.RATING, stimulus__in=stimuli.values())
                   .values_list("stimulus__name", flat=True))
    problems += [f"{row.file} is not an image of this study" for row in rows if row.file not in stimuli]
    problems += [f"{name} is assigned for rating already; choose another image" for name in sorted(assigned)]
    if problems:
        raise DomainError(f"Nothing was imported; fix {source}.", problems=problems)
    for row in rows:
        quality_item_add(study=study, stimulus=stimuli[row.file], kind=row.kind, reference_score=row.reference_score,
                         tolerance=row.tolerance, explanation=row.explanation)
    return len(rows)
