"""Validation and test MOS never reach a participant: not through the download, not through any selector."""
import hashlib
import io
import zipfile

import pytest

from challenges import leaderboards, selectors, services
from challenges.models import ParticipantBundle
from challenges.submission_services import submission_mark_final, submission_score_run, submission_submit
from common.errors import DomainError, PermissionDeniedError
from studies.models import Stimulus

from .conftest import NUM_ITEMS, PARTS, leaks, mos_of, names_of, phase, predictions_csv

pytestmark = pytest.mark.django_db


def built_bundle(challenge) -> ParticipantBundle:
    bundle = services.bundle_refresh(challenge=challenge, enqueue=False)
    bundle = services.bundle_build(bundle_id=bundle.pk)
    assert bundle.status == "succeeded", bundle.error
    return bundle


def test_the_download_holds_every_image_and_only_the_training_mos(challenge, team_users):
    bundle = built_bundle(challenge)
    with bundle.file.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == bundle.sha256 and len(data) == bundle.size_bytes
    archive = zipfile.ZipFile(io.BytesIO(data))
    images = {f"images/img{index:02d}.png" for index in range(NUM_ITEMS)}
    assert set(archive.namelist()) == images | {"train.csv", "val.csv", "test.csv", "README.md", "checksums.sha256"}
    for stimulus in Stimulus.objects.filter(study=challenge.version.study):
        with stimulus.file.open("rb") as handle:
            assert archive.read(f"images/{stimulus.name}") == handle.read(), "images go in byte for byte"
    train = archive.read("train.csv").decode().splitlines()
    assert train == ["image,mos"] + [f"{name},{mos_of(int(name[3:5]))!r}" for name in names_of("train")]
    assert archive.read("val.csv").decode().splitlines() == ["image", *names_of("val")]
    assert archive.read("test.csv").decode().splitlines() == ["image", *names_of("test")]
    readme = archive.read("README.md").decode()
    assert "NTIRE 2024" in readme and "Be fair." in readme and "`val.csv`: 4 images (MOS withheld)" in readme
    for member in archive.namelist():
        text = archive.read(member).decode("latin-1")  # bytes as text: images are searched too
        assert not leaks(text), f"{member} leaks {leaks(text)}"
    checksums = dict(line.split("  ")[::-1] for line in archive.read("checksums.sha256").decode().splitlines())
    assert checksums["val.csv"] == hashlib.sha256(archive.read("val.csv")).hexdigest()


def test_the_download_is_built_once_per_content(challenge, coordinator):
    first = built_bundle(challenge)
    assert services.bundle_refresh(challenge=challenge).pk == first.pk
    assert services.bundle_build(bundle_id=first.pk).finished_at == first.finished_at
    challenge = services.challenge_update(challenge=challenge, by=coordinator, rules="New rules.")
    second = built_bundle(challenge)
    assert second.pk != first.pk and second.sha256 != first.sha256


def test_only_registered_participants_and_organisers_download(challenge, team_users, coordinator, make_user):
    with pytest.raises(DomainError, match="being prepared"):
        selectors.challenge_bundle_for_user(challenge=challenge, user=team_users[0])
    bundle = built_bundle(challenge)
    assert selectors.challenge_bundle_for_user(challenge=challenge, user=team_users[0]) == bundle
    assert selectors.challenge_bundle_for_user(challenge=challenge, user=coordinator) == bundle
    with pytest.raises(PermissionDeniedError, match="Register"):
        selectors.challenge_bundle_for_user(challenge=challenge, user=make_user("visitor"))


def test_no_selector_a_participant_reaches_shows_hidden_mos(challenge, team_users, coordinator):
    alpha, beta = team_users
    built_bundle(challenge)
    dev, test = phase(challenge, "development"), phase(challenge, "test")
    for user, noise in ((alpha, 0.0), (beta, 0.8)):
        for current in (dev, test):
            part = "val" if current == dev else "test"
            submission = submission_submit(phase=current, by=user, filename="p.csv",
                                           content=predictions_csv(part, noise=noise))
            submission_score_run(submission_id=submission.pk)
            if current == test:
                submission_mark_final(submission=submission, by=user, fact_sheet={
                    "method": "m", "parameters_m": 1, "input_size": "224", "gflops": 1, "ensemble": False,
                    "extra_data": False})
    services.baseline_add(phase=test, label="B", scores={name: float(i) for i, name in enumerate(names_of("test"))},
                          by=coordinator)
    seen = [
        selectors.challenge_overview(challenge=challenge, user=alpha),
        selectors.team_submissions(challenge=challenge, user=alpha),
        leaderboards.leaderboard(phase=dev, user=alpha),
        leaderboards.leaderboard(phase=test, user=alpha),
        *(selectors.submission_get_for_user(challenge=challenge, submission_id=view.id, user=alpha)
          for view in selectors.team_submissions(challenge=challenge, user=alpha)),
    ]
    assert not leaks(repr(seen))
    for reader, current in ((leaderboards.leaderboard_scatter, dev), (leaderboards.leaderboard_scatter, test),
                            (leaderboards.final_table_rows, test)):
        with pytest.raises(PermissionDeniedError):
            reader(phase=current, user=alpha)
    assert not leaks(repr(leaderboards.final_table_rows(phase=dev, user=alpha))), "scores only, public in development"
    organiser_view = repr(leaderboards.leaderboard_scatter(phase=test, user=coordinator))
    assert leaks(organiser_view), "the check itself must find MOS where it is shown"
    overview = selectors.challenge_overview(challenge=challenge, user=alpha)
    assert overview.part_counts == {part: PARTS.count(part) for part in ("test", "train", "val")}
    assert overview.team == "Alpha" and overview.phases[0].quota.used_total == 1 and overview.bundle_ready
