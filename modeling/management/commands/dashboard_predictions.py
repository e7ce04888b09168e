"""``manage.py dashboard_predictions SLUG PRED.csv --model NAME``: store predictions for the prediction dashboard."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from common.errors import DomainError
from modeling.dashboards import services
from studies.models import Study


class Command(BaseCommand):
    help = "Store a predictions CSV (image,score) for a study; its dashboard compares it with the newest MOS."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the study's slug")
        parser.add_argument("predictions", type=Path, help="CSV with columns image,score (image = stimulus name)")
        parser.add_argument("--model", required=True, help="the model's name, e.g. efficientnet-lite0")

    def handle(self, *args, slug: str, predictions: Path, model: str, **options):
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"No study with slug {slug!r}.")
        try:
            content = predictions.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {predictions}: {error.strerror or error}") from None
        try:
            prediction_set = services.prediction_set_store(study=study, model=model, content=content,
                                                            filename=predictions.name)
        except DomainError as error:
            raise CommandError(str(error)) from None
        url = reverse("modeling:prediction-set", args=[study.pk, prediction_set.key])
        self.stdout.write(f"Stored {prediction_set.model} as {prediction_set.key}; its dashboard: {url}")
