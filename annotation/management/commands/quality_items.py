from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotation import quality_services
from common.errors import DomainError
from studies.models import Study


class Command(BaseCommand):
    help = "Mark images of a study as training, qualification or gold items from a CSV, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("csv", type=Path, help="Columns: file, kind, reference_score[, tolerance, explanation].")

    def handle(self, *args, study: str, csv: Path, **options):
        target = Study.objects.filter(slug=study).first()
        if target is None:
            raise CommandError(f"No study with the slug {study!r}.")
        try:
            count = quality_services.quality_items_import(study=target, text=csv.read_text(encoding="utf-8-sig"))
        except (DomainError, OSError, UnicodeDecodeError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{count} quality items set; the same CSV again changes nothing."))
