"""``manage.py demo_protocol SLUG --coordinator NAME``: publish the demo's protocol so that a newcomer sees the
whole flow: instructions with the illustrated guideline, training with feedback, qualification, gold items."""
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotation import protocol_services, quality_services
from common.errors import DomainError
from moslab_science.demo_protocol import PROTOCOL_NOTE, build_quality_images, demo_protocol_config
from studies import services as study_services
from studies.models import Study


class Command(BaseCommand):
    help = "Publish the demo study's protocol with its training, qualification and gold images (once)."

    def add_arguments(self, parser):
        parser.add_argument("study", help="The demo study's slug.")
        parser.add_argument("--coordinator", required=True, help="Who publishes it.")

    def handle(self, *args, study: str, coordinator: str, **options):
        target = Study.objects.filter(slug=study).first()
        by = get_user_model().objects.filter(username=coordinator).first()
        if target is None or by is None:
            raise CommandError(f"No study {study!r}" if target is None else f"No user {coordinator!r}")
        record, _ = protocol_services.protocol_current(study=target)
        if record is not None:
            self.stdout.write(f"{target.name} has protocol version {record.version} already; nothing changed.")
            return
        try:
            with transaction.atomic(), tempfile.TemporaryDirectory() as folder:
                records = build_quality_images(Path(folder))
                study_services.stimuli_import(study=target, source=Path(folder))
                published = protocol_services.protocol_publish(study=target, config=demo_protocol_config(), by=by,
                                                               note=PROTOCOL_NOTE)
                count = quality_services.quality_items_add_records(study=target, records=records)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Protocol version {published.version} published with {count} training, qualification and gold images."))
