"""Rater places per stimulus, written once: the study's raters per stimulus plus the extra raters that
coordinators added to the stimulus on review.

One SQL expression: the vote's hand-written queries (`vote_queries`) embed it, and the ORM queries
(claims, fixed panels, the progress bar) annotate stimuli with it, so the two cannot drift apart.
"""
from django.db import connection
from django.db.models.expressions import RawSQL

from annotation.models import StimulusReview
from studies.models import Stimulus


def places_sql(stimulus_id: str) -> str:
    """The places of the stimulus whose id is the SQL `stimulus_id`; takes one parameter, raters per stimulus."""
    reviews = connection.ops.quote_name(StimulusReview._meta.db_table)
    return (f"(%s + COALESCE((SELECT SUM(places_r.extra_raters) FROM {reviews} places_r "
            f"WHERE places_r.stimulus_id = {stimulus_id}), 0))")


def places_annotation(*, raters_per_stimulus: int) -> RawSQL:
    """`places_sql` for the rows of a Stimulus queryset: `.annotate(places=places_annotation(...))`."""
    quote = connection.ops.quote_name
    column = f"{quote(Stimulus._meta.db_table)}.{quote(Stimulus._meta.pk.column)}"
    return RawSQL(places_sql(column), (raters_per_stimulus,))
