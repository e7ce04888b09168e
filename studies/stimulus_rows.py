"""New stimuli written in bulk, without a model instance per row: what the dataset import and the stimulus uploads
write."""
from collections.abc import Iterable

from moslab_science.ingest import MediaInfo
from studies.bulk_rows import rows_insert, with_defaults
from studies.models import Stimulus

#: The columns of a new stimulus that its importer fills (the rest take their defaults: `with_defaults`).
STIMULUS_FIELDS = ("study_id", "name", "source_content", "groups", "prompt", "file", "media_type", "image_format",
                   "width", "height", "sha256", "size_bytes", "frame_count", "fps", "duration_seconds", "codec",
                   "variable_frame_rate")
NO_MEDIA = {"file": "", "media_type": Stimulus.MediaType.IMAGE, "image_format": "", "width": None, "height": None,
            "sha256": "", "size_bytes": None, "frame_count": None, "fps": None, "duration_seconds": None, "codec": "",
            "variable_frame_rate": False}


def stimulus_row(*, study_id: int, name: str, source_content: str, groups: dict, prompt: str,
                 info: MediaInfo | None, stored: str) -> tuple:
    """The row, in the order of STIMULUS_FIELDS; `info` None (with `stored` "") for a stimulus without media."""
    fields = NO_MEDIA if info is None else {**NO_MEDIA, **info.stimulus_fields(), "file": stored}
    row = {"study_id": study_id, "name": name, "source_content": source_content, "groups": groups, "prompt": prompt,
           **fields}
    return tuple(row[field] for field in STIMULUS_FIELDS)


def stimuli_insert(rows: Iterable[tuple]) -> None:
    """Insert `stimulus_row`s (a generator is written as it yields)."""
    fields, complete = with_defaults(model=Stimulus, fields=STIMULUS_FIELDS, rows=rows)
    rows_insert(model=Stimulus, fields=fields, rows=complete)


def references_link(*, study_id: int, references: dict[str, str]) -> dict[str, int]:
    """Point each named stimulus at its reference ({name: reference name}, both in the study); the study's
    {name: pk}."""
    pks = dict(Stimulus.objects.filter(study_id=study_id).values_list("name", "pk"))
    Stimulus.objects.bulk_update([Stimulus(pk=pks[name], reference_id=pks[reference])
                                  for name, reference in references.items()], ["reference"], batch_size=1000)
    return pks
