import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from moslab_science.demo import build_demo_images
from studies import services
from studies.models import Membership, Study

DEMO_SLUG = "au-iqa-demo"
DEMO_USERS = {
    "admin": ("admin-demo-pass", None),
    "coordinator": ("coordinator-demo-pass", Membership.Role.COORDINATOR),
    "researcher": ("researcher-demo-pass", Membership.Role.RESEARCHER),
    "annotator": ("annotator-demo-pass", Membership.Role.ANNOTATOR),
}


class Command(BaseCommand):
    help = ("Create the AU-IQA-style demo study (10 public-domain or CC0 photos, 3 degradations x 4 levels, each "
            "unrestored and by 2 enhancers: 370 stimuli) and demo users.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, seed: int, **options):
        users = {name: self._user(name, password) for name, (password, _) in DEMO_USERS.items()}
        study = Study.objects.filter(slug=DEMO_SLUG).first()
        if study is None:
            with transaction.atomic():
                study = services.study_create(
                    name="AU-IQA demo: enhanced photographs", slug=DEMO_SLUG, created_by=users["coordinator"],
                    description="Photographs degraded by downsampling, low brightness and noise, then restored "
                    "by two classical enhancers each. Rate each on the 5-point ACR scale.",
                )
                with tempfile.TemporaryDirectory() as folder:
                    build_demo_images(Path(folder), seed=seed)
                    services.stimuli_import(study=study, source=Path(folder))
                study.status = Study.Status.OPEN
                study.save(update_fields=["status"])
        for name, (_, role) in DEMO_USERS.items():
            if role:
                services.membership_add(study=study, user=users[name], role=role)
        creators, _ = Group.objects.get_or_create(name=settings.MOSLAB_STUDY_CREATORS_GROUP)
        users["coordinator"].groups.add(creators)  # the demo coordinator may make studies of their own
        self.stdout.write(self.style.SUCCESS(f"Demo study {study.name!r}: {study.stimuli.count()} stimuli."))
        for name, (password, role) in DEMO_USERS.items():
            self.stdout.write(f"  login {name:<12} password {password:<24} {role or 'superuser (admin pages)'}")

    def _user(self, username: str, password: str):
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            if username == "admin":
                user.is_staff = user.is_superuser = True
            user.save()
        return user
