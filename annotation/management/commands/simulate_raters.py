import uuid

import numpy as np
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from annotation import assignment_services, enrolment_services, protocol_services, review_services, voting_services
from annotation.models import Enrolment, RatingTask, StimulusReview
from common.errors import DomainError
from moslab_science.ingest.video import read_frames
from moslab_science.rating.simulation import latent_quality, make_raters, simulated_vote
from studies import services as study_services
from studies.media_files import local_copy
from studies.models import Membership, Stimulus, Study


class Command(BaseCommand):
    help = "Add simulated annotators to a study, assign stimuli, and let them rate through the normal services."

    def add_arguments(self, parser):
        parser.add_argument("study", help="The study's slug.")
        parser.add_argument("--raters", type=int, default=8)
        parser.add_argument("--careless-share", type=float, default=0.1)
        parser.add_argument("--adversarial-share", type=float, default=0.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--coordinator", default="",
            help="Also play this coordinator in the cross-check: flagged images go back to their deviating raters "
                 "for relabelling until the protocol's rounds are used, then the votes are accepted.",
        )

    def handle(self, *args, study: str, raters: int, careless_share: float, adversarial_share: float,
               seed: int, coordinator: str, **options):
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
            enrolment_services.enrolment_accept_instructions(
                enrolment=enrolment_services.enrolment_get_or_start(study=target, user=user))
            users[user.pk] = (user, rater)
        try:
            assignment_services.assignment_create(study=target, seed=seed)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.qualities: dict[int, float] = {}
        rng = np.random.default_rng(seed)
        votes = self._vote_pending(target, users, rng)
        if coordinator:
            votes += self._play_crosscheck(target, users, rng, coordinator)
        kinds = ", ".join(f"{r.name} ({r.kind})" for r in simulated)
        self.stdout.write(self.style.SUCCESS(f"{len(simulated)} simulated raters cast {votes} votes: {kinds}"))

    def _vote_pending(self, study: Study, users: dict, rng: np.random.Generator) -> int:
        """Every pending task of the simulated raters gets its vote, through `rating_submit`.

        With rating dimensions each gets its own noisy vote around the same latent quality; a video's
        vote says it was played through (as the rating page does).
        """
        _, protocol = protocol_services.protocol_current(study=study)
        tasks = RatingTask.objects.filter(study=study, annotator_id__in=users, status=RatingTask.Status.PENDING)
        votes = 0
        for task in tasks.select_related("stimulus", "stimulus__reference").order_by("annotator_id", "position"):
            if task.stimulus_id not in self.qualities:
                self.qualities[task.stimulus_id] = self._quality(task.stimulus, study)
            user, rater = users[task.annotator_id]
            scores = {name: simulated_vote(rater, self.qualities[task.stimulus_id], low=study.scale_min,
                                           high=study.scale_max, rng=rng) for name in protocol.dimension_names}
            given = {"scores": scores} if protocol.dimensions else {"score": scores[""]}
            display = None
            if task.stimulus.media_type == Stimulus.MediaType.VIDEO:
                display = {"played_through": True, "played_seconds": task.stimulus.duration_seconds, "replays": 0,
                           "simulated": True}
            # a simulated rater takes the protocol's break between blocks at once (no one waits for it)
            Enrolment.objects.filter(study=study, user=user, break_until__isnull=False).update(break_until=None)
            try:
                voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), display=display,
                                              response_time_ms=int(rng.uniform(2000, 9000)), **given)
            except DomainError as error:
                raise CommandError(str(error)) from None
            votes += 1
        return votes

    def _play_crosscheck(self, study: Study, users: dict, rng: np.random.Generator, username: str) -> int:
        """Send flagged images back to simulated raters until the rounds run out, then accept the rest."""
        coordinator = get_user_model().objects.filter(username=username).first()
        if coordinator is None:
            raise CommandError(f"No user {username!r} to play the coordinator.")
        _, protocol = protocol_services.protocol_current(study=study)
        votes = 0
        for _ in range(protocol.relabel_rounds):
            flagged = [review for review in self._open_reviews(study)
                       if review.round < protocol.relabel_rounds and set(map(int, review.deviating)) <= set(users)]
            for review in flagged:
                review_services.review_relabel(review=review, by=coordinator, protocol=protocol,
                                               note="simulated coordinator: relabel the deviating votes")
            votes += self._vote_pending(study, users, rng)
        for review in self._open_reviews(study):
            if set(map(int, review.deviating)) <= set(users):
                review_services.review_accept(review=review, by=coordinator,
                                              note="simulated coordinator: relabel rounds used, votes accepted")
        return votes

    @staticmethod
    def _open_reviews(study: Study) -> list[StimulusReview]:
        return list(StimulusReview.objects.filter(study=study, status=StimulusReview.Status.OPEN))

    @staticmethod
    def _quality(stimulus, study: Study) -> float:
        def pixels(item):
            if item.media_type == Stimulus.MediaType.VIDEO:  # the middle frame stands for the clip
                with local_copy(item.file) as path:
                    return read_frames(path, [(item.frame_count or 1) // 2])[0]
            with item.file.open("rb") as handle, Image.open(handle) as image:
                return np.asarray(image.convert("RGB"))

        reference = pixels(stimulus.reference) if stimulus.reference else None
        return latent_quality(pixels(stimulus), reference, low=study.scale_min, high=study.scale_max)
