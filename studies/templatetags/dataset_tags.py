"""The study page's dataset section, rendered from the dataset selectors."""
from django import template

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
