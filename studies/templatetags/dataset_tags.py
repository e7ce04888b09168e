"""The study page's dataset section, rendered from the dataset selectors."""
from django import template
from django.utils import timezone

from moslab_science.progress import seconds_left
from studies.datasets.selectors import dataset_versions_for_study
from studies.selectors import study_dimensions

register = template.Library()


@register.inclusion_tag("studies/datasets_section.html", takes_context=True)
def datasets_section(context, study):
    return {
        "study": study, "versions": dataset_versions_for_study(study=study)[:20],
        "dimensions": study_dimensions(study=study),
        "is_coordinator": context.get("is_coordinator", False), "csrf_token": context.get("csrf_token"),
    }


@register.filter
def time_left(job) -> str:
    """"about 12 s left" for a running job row with `progress` (0..1) and `started_at`; "" when unknown."""
    if job.started_at is None:
        return ""
    left = seconds_left(fraction=job.progress, elapsed=(timezone.now() - job.started_at).total_seconds())
    return "" if left is None else f"about {left:,.0f} s left"
