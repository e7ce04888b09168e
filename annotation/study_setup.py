"""Starting a study from a protocol template: the study, its first coordinator and protocol version 1 at once."""
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from annotation.protocol_services import protocol_publish
from common.errors import DomainError
from moslab_science.rating.protocol import SCALES
from moslab_science.rating.templates import protocol_template
from studies import services as study_services
from studies.models import Study

SLUG_LENGTH = 80


def free_slug(name: str) -> str:
    """A slug of `name` no study uses yet ("my-study", else "my-study-2", ...)."""
    base = (slugify(name) or "study")[:SLUG_LENGTH - 4]
    taken = set(Study.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def study_start(*, name: str, by: AbstractBaseUser, template: str, scale: str, raters_per_stimulus: int,
                description: str = "") -> Study:
    """A new draft study made by `by` (its coordinator) with the template's protocol published as version 1."""
    try:
        chosen = protocol_template(template)
    except ValueError as error:
        raise DomainError(str(error)) from None
    if scale not in SCALES:
        raise DomainError(f"Unknown scale {scale!r}; choose {' or '.join(SCALES)}.")
    scale_min, scale_max = SCALES[scale]
    study = study_services.study_create(
        name=name.strip(), slug=free_slug(name), created_by=by, description=description.strip(),
        scale_min=scale_min, scale_max=scale_max, raters_per_stimulus=raters_per_stimulus)
    protocol_publish(study=study, config=dict(chosen.config), by=by, note=f"From the template: {chosen.label}",
                     raters_per_stimulus=raters_per_stimulus)
    return study
