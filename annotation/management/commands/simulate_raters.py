import uuid

import numpy as np
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from annotation import services
from annotation.models import RatingTask
from annotation.simulation import latent_quality, make_raters, simulated_vote
from common.errors import DomainError
from studies import services as study_services
from studies.models import Membership, Study


class Command(BaseCommand):
    help = "Add simulated annotators to a study, assign stimuli, and let them rate through the normal services."

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("--raters", type=int, default=8)
        parser.add_argument("--careless-share", type=float, default=0.1)
        parser.add_argument("--adversarial-share", type=float, default=0.0)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, study: str, raters: int, careless_share: float, adversarial_share: float,
               seed: int, **options):
        target = Study.objects.filter(slug=study).first()
        if target is None:
            raise CommandError(f"No study with the slug {study!r}.")
        try:
            simulated = make_raters(raters, careless_share=careless_share, adversarial_share=adversarial_share,
                                    seed=seed, prefix=f"sim-{target.slug}")
        except ValueError as error:
            raise CommandError(str(error)) from None
        users = {}
        for rater in simulated:
            user, created = get_user_model().objects.get_or_create(username=rater.name)
            if created:
                user.set_unusable_password()
                user.save()
            study_services.membership_add(study=target, user=user, role=Membership.Role.ANNOTATOR)
            users[user.pk] = (user, rater)
        try:
            services.assignment_create(study=target, seed=seed)
        except DomainError as error:
            raise CommandError(str(error)) from None
        rng = np.random.default_rng(seed)
        qualities: dict[int, float] = {}
        tasks = RatingTask.objects.filter(study=target, annotator_id__in=users, status=RatingTask.Status.PENDING)
        votes = 0
        for task in tasks.select_related("stimulus", "stimulus__reference").order_by("annotator_id", "position"):
            if task.stimulus_id not in qualities:
                qualities[task.stimulus_id] = self._quality(task.stimulus, target)
            user, rater = users[task.annotator_id]
            score = simulated_vote(rater, qualities[task.stimulus_id], low=target.scale_min, high=target.scale_max,
                                   rng=rng)
            try:
                services.rating_submit(task=task, user=user, score=score, client_id=uuid.uuid4(),
                                       response_time_ms=int(rng.uniform(2000, 9000)))
            except DomainError as error:
                raise CommandError(str(error)) from None
            votes += 1
        kinds = ", ".join(f"{r.name} ({r.kind})" for r in simulated)
        self.stdout.write(self.style.SUCCESS(f"{len(simulated)} simulated raters cast {votes} votes: {kinds}"))

    @staticmethod
    def _quality(stimulus, study: Study) -> float:
        def pixels(item):
            with item.file.open("rb") as handle, Image.open(handle) as image:
                return np.asarray(image.convert("RGB"))

        reference = pixels(stimulus.reference) if stimulus.reference else None
        return latent_quality(pixels(stimulus), reference, low=study.scale_min, high=study.scale_max)
