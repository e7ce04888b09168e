"""The annotator's action on a study card of the home page: rate, or nothing left to rate (the same end state
as the rating page's "Thank you")."""
from django import template

from annotation.selectors import enrolment_finished

register = template.Library()


@register.inclusion_tag("annotation/_home_action.html")
def annotator_action(study, user):
    return {"study": study, "finished": enrolment_finished(study=study, user=user)}
