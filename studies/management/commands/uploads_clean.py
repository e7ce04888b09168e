from django.conf import settings
from django.core.management.base import BaseCommand

from studies.uploads.services import uploads_clean_abandoned


class Command(BaseCommand):
    help = ("Remove browser uploads of stimuli untouched for MOSLAB_UPLOAD_ABANDON_HOURS (each new upload does it "
            "too); for a cron job on a quiet server.")

    def handle(self, *args, **options):
        removed = uploads_clean_abandoned()
        self.stdout.write(f"Removed {removed} abandoned upload{'s' if removed != 1 else ''} "
                          f"(untouched for {settings.MOSLAB_UPLOAD_ABANDON_HOURS:g} hours).")
