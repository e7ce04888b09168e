"""The demo study generator and the rater simulator."""
import csv
from collections import Counter

import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from annotation.models import RatingTask, StimulusReview
from moslab_science.demo import DEGRADATIONS, LEVELS, SOURCES, build_demo_images
from moslab_science.rating.simulation import ADVERSARIAL, CARELESS, NORMAL, latent_quality, make_raters, simulated_vote
from studies.models import Rating, Stimulus, Study


def test_demo_images_cover_every_degradation_level_and_enhancer(tmp_path):
    written = build_demo_images(tmp_path, sources=["coffee", "rocket"], seed=1)
    enhanced = [item for item in written if item.degradation != "none"]
    assert len(enhanced) == 2 * len(LEVELS) * sum(len(enhancers) for _, enhancers in DEGRADATIONS.values()) == 72
    assert all(len(enhancers) >= 3 for _, enhancers in DEGRADATIONS.values())  # unrestored + 2 enhancers
    assert Counter(item.degradation for item in enhanced) == {name: 24 for name in DEGRADATIONS}
    assert Counter(item.level for item in enhanced) == {str(level): 18 for level in LEVELS}
    rows = list(csv.DictReader((tmp_path / "manifest.csv").open()))
    assert {row["file"] for row in rows} == {item.file for item in written}
    reference = np.asarray(Image.open(tmp_path / "coffee__reference.png"), dtype=float)
    for item in (item for item in enhanced if item.source_content == "coffee"):
        pixels = np.asarray(Image.open(tmp_path / item.file), dtype=float)
        assert pixels.shape == reference.shape, "restored images keep the source size"
        assert np.abs(pixels - reference).mean() > 0.5, "each stimulus differs from its reference"


def test_restoration_helps_against_the_degradation(tmp_path):
    """Each enhancer should bring the image closer to the reference than a plain repeat would suggest."""
    written = build_demo_images(tmp_path, sources=["astronaut"], seed=0)
    reference = np.asarray(Image.open(tmp_path / "astronaut__reference.png"))
    qualities = {(item.degradation, item.level, item.enhancer): latent_quality(
        np.asarray(Image.open(tmp_path / item.file)), reference, low=1, high=5)
        for item in written if item.degradation != "none"}
    assert all(1 <= value < 5 for value in qualities.values())
    assert len(set(np.round(list(qualities.values()), 3))) > 20, "levels and enhancers give different qualities"
    for degradation in DEGRADATIONS:  # a more severe level of a degradation leaves the image worse
        unrestored = [qualities[degradation, str(level), "none"] for level in LEVELS]
        assert unrestored == sorted(unrestored, reverse=True), degradation
    denoised = [qualities["gaussian_noise", "3", enhancer] for enhancer in ("nl_means", "median")]
    assert min(denoised) > qualities["gaussian_noise", "3", "none"], "denoising helps against noise"


def test_every_demo_source_is_a_colour_photograph_of_the_crop_size(tmp_path):
    written = build_demo_images(tmp_path, levels=(1,))
    assert len(written) == len(SOURCES) * (1 + 3 * 3) and len(SOURCES) == 10
    for source in SOURCES:
        image = Image.open(tmp_path / f"{source}__reference.png")
        assert image.mode == "RGB" and image.size[1] in (300, 320), source


def test_simulated_rater_kinds_behave_as_described():
    raters = make_raters(20, careless_share=0.1, adversarial_share=0.1, seed=4)
    assert Counter(r.kind for r in raters) == {NORMAL: 16, CARELESS: 2, ADVERSARIAL: 2}
    rng = np.random.default_rng(0)
    normal = next(r for r in raters if r.kind == NORMAL)
    adversarial = next(r for r in raters if r.kind == ADVERSARIAL)
    good = [simulated_vote(normal, 4.6, low=1, high=5, rng=rng) for _ in range(200)]
    inverted = [simulated_vote(adversarial, 4.6, low=1, high=5, rng=rng) for _ in range(200)]
    assert np.mean(good) > 3.8 and np.mean(inverted) < 2.2
    assert set(good) <= {1, 2, 3, 4, 5}
    with pytest.raises(ValueError, match="at most 1"):
        make_raters(3, careless_share=0.7, adversarial_share=0.5)


@pytest.mark.django_db
def test_demo_commands_build_a_rated_study(capsys):
    call_command("demo_study")
    out = capsys.readouterr().out
    assert "370 stimuli" in out and "login annotator" in out
    study = Study.objects.get(slug="au-iqa-demo")
    enhanced = Stimulus.objects.filter(study=study).exclude(groups__degradation="none")
    assert enhanced.count() == 360 and all(s.reference_id for s in enhanced)
    call_command("demo_study")  # running it again changes nothing
    assert Stimulus.objects.filter(study=study).count() == 370
    call_command("simulate_raters", "au-iqa-demo", "--raters", "6", "--careless-share", "0.2",
                 "--coordinator", "coordinator")
    first_votes = RatingTask.objects.filter(study=study, kind=RatingTask.Kind.RATING)
    per_stimulus = Counter(first_votes.values_list("stimulus_id", flat=True))
    assert set(per_stimulus.values()) == {study.raters_per_stimulus}
    simulated_votes = Rating.objects.filter(study=study, rater__username__startswith="sim-").count()
    human_tasks = first_votes.filter(annotator__username="annotator").count()
    assert simulated_votes == 370 * study.raters_per_stimulus - human_tasks + relabel_count(study)
    relabels = Rating.objects.filter(study=study, supersedes__isnull=False)
    assert relabels.count() == relabel_count(study) > 0, "the careless raters were sent back"
    assert all(vote.round >= 1 for vote in relabels)
    human_stimuli = set(RatingTask.objects.filter(study=study, annotator__username="annotator")
                        .values_list("stimulus_id", flat=True))
    counted = Counter(Rating.objects.filter(study=study).current().values_list("stimulus_id", flat=True))
    for stimulus in Stimulus.objects.filter(study=study).exclude(pk__in=human_stimuli):
        assert counted[stimulus.pk] == study.raters_per_stimulus, "every review decided, every vote verified"
    assert not StimulusReview.objects.filter(study=study, status=StimulusReview.Status.OPEN).exists()


def relabel_count(study: Study) -> int:
    return RatingTask.objects.filter(study=study, kind=RatingTask.Kind.RELABEL).count()
