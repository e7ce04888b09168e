"""A video vote is stored only when the page says the clip was played through; the prompt reaches the page."""
import io
import uuid

import pytest
from django.core.management import call_command

from annotation import protocol_services, session_services, voting_services
from annotation.models import RatingTask
from annotation.playback import playthrough_problem
from common.errors import DomainError
from studies.models import Rating
from tests.annotation.helpers import video_study

pytestmark = pytest.mark.django_db
DIMENSIONS = [{"name": "technical", "label": "Technical quality"}, {"name": "alignment", "label": "Prompt alignment"}]


@pytest.mark.parametrize("display, message", [
    (None, "does not say it was played through"),
    ({"played_through": False, "played_seconds": 3.0}, "does not say it was played through"),
    ({"played_through": "yes", "played_seconds": 3.0}, "does not say it was played through"),
    ({"played_through": True}, "does not say how long it was watched"),
    ({"played_through": True, "played_seconds": float("nan")}, "does not say how long"),
    ({"played_through": True, "played_seconds": 1.2}, "1.2 s of 3.0 s were watched"),
])
def test_a_clip_not_played_through_is_explained(display, message):
    assert message in playthrough_problem(display, duration_seconds=3.0)


def test_a_clip_played_through_passes_with_a_frame_of_slack():
    assert playthrough_problem({"played_through": True, "played_seconds": 2.9, "replays": 1},
                               duration_seconds=3.0) is None


@pytest.fixture
def clips(coordinator, make_user, tmp_path):
    return video_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "v", clips=1,
                       scale="slider100", raters_per_stimulus=1,
                       config={"dimensions": DIMENSIONS, "show_prompt": True})


def test_a_video_vote_needs_the_play_through_and_records_it(clips):
    study, (user,) = clips
    _, state = session_services.session_next(study=study, user=user)
    payload = state["tasks"][0]
    task = RatingTask.objects.get(pk=payload["id"])
    assert payload["media_type"] == "video" and payload["duration_seconds"] == pytest.approx(3.0, abs=0.2)
    assert payload["prompt"] == task.stimulus.prompt and payload["prompt"].startswith("a red fox")
    scores = {"technical": 90, "alignment": 80}
    with pytest.raises(DomainError, match="Play the clip through once before rating it"):
        voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), scores=scores,
                                      display={"played_through": False, "played_seconds": 0.8})
    assert Rating.objects.count() == 0
    display = {"played_through": True, "played_seconds": 3.0, "replays": 1, "seeks_blocked": 2}
    result = voting_services.rating_submit(task=task, user=user, client_id=uuid.uuid4(), scores=scores, display=display)
    stored = Rating.objects.filter(pk__in=result.rating_ids.values())
    assert stored.count() == 2 and all(r.display["played_seconds"] == 3.0 and r.display["replays"] == 1
                                       for r in stored)


def test_the_prompt_is_sent_only_when_the_protocol_shows_it(clips, coordinator):
    study, (user,) = clips
    protocol_services.protocol_publish(study=study, scale="slider100", raters_per_stimulus=1,
                                       config={"dimensions": DIMENSIONS}, by=coordinator)
    _, state = session_services.session_next(study=study, user=user)
    assert state["tasks"][0]["prompt"] == ""


def test_the_rating_page_shows_a_video_with_one_input_group_per_dimension(clips, client):
    study, (user,) = clips
    client.force_login(user)
    page = client.get(f"/studies/{study.pk}/rate/").content.decode()
    assert 'id="stimulus-video"' in page and 'id="play"' in page and 'id="prompt"' in page
    assert 'name="score-technical"' in page and 'name="score-alignment"' in page
    assert "Prompt alignment" in page


def test_simulated_raters_play_videos_through_and_score_every_dimension(coordinator, make_user, tmp_path):
    study, _ = video_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "v", clips=2,
                           annotators=0, slug="sim-videos",
                           scale="slider100", raters_per_stimulus=2, config={"dimensions": DIMENSIONS})
    call_command("simulate_raters", "sim-videos", "--raters", "3", stdout=io.StringIO())
    votes = list(Rating.objects.filter(study=study))
    assert len(votes) == 2 * 2 * 2, "2 clips x 2 raters x 2 dimensions"
    assert sorted({v.dimension for v in votes}) == ["alignment", "technical"]
    assert all(v.display["played_through"] and v.display["simulated"] for v in votes)


def test_a_flagged_clip_is_reviewed_with_its_video_prompt_and_a_column_per_dimension(coordinator, make_user, tmp_path,
                                                                                    client):
    study, users = video_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "v", annotators=2,
                               scale="slider100", raters_per_stimulus=2,
                               config={"dimensions": DIMENSIONS,
                                       "consistency": {"min_range": 40, "max_deviation": None}})
    played = {"played_through": True, "played_seconds": 3.0}
    for user, technical in zip(users, (90, 30), strict=True):  # 60 apart on technical quality
        _, state = session_services.session_next(study=study, user=user)
        voting_services.rating_submit(task=RatingTask.objects.get(pk=state["tasks"][0]["id"]), user=user,
                                      client_id=uuid.uuid4(), scores={"technical": technical, "alignment": 70},
                                      reason="clearly different", display=played)
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/reviews/").content.decode()
    assert "<video" in page and "Prompt: a red fox" in page
    assert "<th>Technical quality</th><th>Prompt alignment</th>" in page
    assert "Technical quality: scores range over 60 points" in page
