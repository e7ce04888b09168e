from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_existing_votes(apps, schema_editor):
    """Start each counter at the study rating tasks the annotator has already done."""
    Enrolment = apps.get_model("annotation", "Enrolment")
    RatingTask = apps.get_model("annotation", "RatingTask")
    done = (
        RatingTask.objects.filter(study=OuterRef("study"), annotator=OuterRef("user"), kind="rating", status="done")
        .values("annotator").annotate(n=Count("pk")).values("n")
    )
    Enrolment.objects.update(study_votes=Coalesce(Subquery(done), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("annotation", "0002_enrolment_quality_items_reviews"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrolment",
            name="study_votes",
            field=models.PositiveIntegerField(
                default=0, help_text="Study rating tasks this annotator has done (summed for the study progress bar)."
            ),
        ),
        migrations.RunPython(count_existing_votes, migrations.RunPython.noop),
    ]
