from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from studies import services
from studies.models import Study


class Command(BaseCommand):
    help = ("Import the images and videos (.mp4, .webm) of a folder or zip into a study, all or nothing "
            "(optionally with a CSV manifest).")

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("source", type=Path, help="A folder or a zip of images and/or videos.")
        parser.add_argument(
            "--manifest", type=Path, help="CSV: file, source_content, reference, prompt, group_<label>."
        )

    def handle(self, *args, study: str, source: Path, manifest: Path | None, **options):
        target = Study.objects.filter(slug=study).first()
        if target is None:
            raise CommandError(f"No study with the slug {study!r}.")
        try:
            report = services.stimuli_import(study=target, source=source, manifest=manifest)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Imported {len(report.created)} stimuli; {len(report.unchanged)} were already there.")
        )
