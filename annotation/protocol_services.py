"""Protocol versions: publish a new one, read the current one. Versions are never edited, only added.

The study owns its scale and raters per stimulus (`studies.services.study_rating_settings_update`);
a protocol is always read on the study's scale, and its config holds neither.
"""
import functools

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from common.errors import DomainError
from moslab_science.rating.protocol import SCALES, Protocol, ProtocolError, protocol_from_dict
from studies import services as study_services
from studies.models import Rating, Study, StudyProtocol


def protocol_of(*, study: Study, config: dict | None) -> Protocol:
    """The protocol `config` (None: the defaults) on the study's scale."""
    return protocol_from_dict(config, scale_min=study.scale_min, scale_max=study.scale_max)


def protocol_current(*, study: Study) -> tuple[StudyProtocol | None, Protocol]:
    """The latest protocol version of the study, or the defaults when none was published."""
    record = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    return record, protocol_of(study=study, config=record.config if record else None)


@transaction.atomic
def protocol_publish(
    *, study: Study, config: dict, by: AbstractBaseUser, note: str = "", scale: str | None = None,
    raters_per_stimulus: int | None = None,
) -> StudyProtocol:
    """Store a new protocol version (earlier ones stay, ratings keep pointing at theirs).

    The protocol page saves the study's settings with it: `scale` (a name of `SCALES`) and
    `raters_per_stimulus`, when given, go to the study, in the same transaction; `study` shows them
    once the version is stored.
    """
    target = Study.objects.select_for_update(no_key=True).get(pk=study.pk)
    if scale is not None or raters_per_stimulus is not None:
        if scale is not None and scale not in SCALES:
            raise DomainError(f"Unknown scale {scale!r}; choose {' or '.join(SCALES)}.")
        scale_min, scale_max = SCALES[scale] if scale is not None else (target.scale_min, target.scale_max)
        study_services.study_rating_settings_update(
            study=target, scale_min=scale_min, scale_max=scale_max,
            raters_per_stimulus=target.raters_per_stimulus if raters_per_stimulus is None else raters_per_stimulus)
    try:
        protocol = protocol_of(study=target, config=config)
    except ProtocolError as error:
        raise DomainError(str(error)) from None
    _, current = protocol_current(study=target)
    if current.dimension_names != protocol.dimension_names and Rating.objects.filter(study=study).exists():
        raise DomainError(
            "The rating dimensions cannot change once the study has votes (" + ", ".join(
                name or "single score" for name in current.dimension_names) + "): votes of different "
            "dimensions would mix. Keep them, or run the new dimensions as a new study."
        )
    last = StudyProtocol.objects.filter(study=study).aggregate(last=Max("version"))["last"] or 0
    record = StudyProtocol.objects.create(study=study, version=last + 1, config=config, note=note, created_by=by)
    study.refresh_from_db()
    return record


@functools.lru_cache(maxsize=256)
def protocol_version(protocol_id: int, *, stamp: object, scale: tuple[float, float]) -> Protocol:
    """One protocol version on the study's `scale` (min, max), read and checked once per process (a vote
    reads it by the id it locked with).

    `stamp` (its creation time) is part of the key, so an id that a database hands out again (SQLite
    does after a rollback) is never mistaken for the version that had it.
    """
    config = StudyProtocol.objects.values_list("config", flat=True).get(pk=protocol_id)
    return protocol_from_dict(config, scale_min=scale[0], scale_max=scale[1])
