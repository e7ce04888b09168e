"""The coordinator's protocol page: saving publishes a new version; bad settings are explained, nothing stored."""
import pytest

from moslab_science.rating.protocol import DEFAULTS
from studies.models import Stimulus, Study, StudyProtocol
from tests.annotation.helpers import protocol_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def proto(coordinator, make_user, tmp_path):
    study, (annotator, *_) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "img",
                                            training=1)
    return study, annotator


def form_data(**changes) -> dict:
    """A POST of the default protocol, as the page sends it, with `changes` applied."""
    data = {key: value for key, value in DEFAULTS.items() if not isinstance(value, list | dict)}
    data.update(DEFAULTS["consistency"])
    data = {key: "" if value is None else value for key, value in data.items()}
    data |= {"scale": "acr5", "raters_per_stimulus": 5, "completion_code": "on"}  # the study's settings
    data |= {"examples-TOTAL_FORMS": 1, "examples-INITIAL_FORMS": 0, "dimensions-TOTAL_FORMS": 1,
             "dimensions-INITIAL_FORMS": 0}
    for prefix, rows, fields in (("aspects", DEFAULTS["aspects"], ("key", "label", "weight", "shortcut")),
                                 ("severities", DEFAULTS["severities"], ("key", "label", "points"))):
        data |= {f"{prefix}-TOTAL_FORMS": len(rows) + 1, f"{prefix}-INITIAL_FORMS": len(rows)}
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{field}": row[field] for field in fields}
    data.update(changes)
    return data


def test_only_coordinators_open_the_page(proto, client, coordinator):
    study, annotator = proto
    client.force_login(annotator)
    assert client.get(f"/studies/{study.pk}/protocol/").status_code == 404
    client.force_login(coordinator)
    page = client.get(f"/studies/{study.pk}/protocol/").content.decode()
    assert "Version 1 is in use" in page and 'value="resolution"' in page


def test_saving_publishes_a_new_version_with_every_change(proto, client, coordinator):
    study, _ = proto
    client.force_login(coordinator)
    response = client.post(f"/studies/{study.pk}/protocol/", form_data(**{
        "scale": "slider100", "raters_per_stimulus": 3, "block_size": 20, "break_seconds": 30, "gold_every": 10,
        "max_std": 0.8, "min_range": "", "note": "slider for the pilot", "min_viewing_seconds": 2.5,
        "aspects-0-weight": 2, "aspects-1-DELETE": "on",
        "aspects-4-key": "colour", "aspects-4-label": "Colour", "aspects-4-weight": 0.5, "aspects-4-shortcut": "c",
        "severities-3-points": 3,
        "examples-0-stimulus": "training0.png", "examples-0-caption": "slight noise only: 5 - 0.5 = 4.5, rated 4",
    }))
    assert response.status_code == 302
    latest = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    assert latest.version == 2 and latest.note == "slider for the pilot" and latest.created_by == coordinator
    config = latest.config
    assert (config["block_size"], config["gold_every"], config["min_viewing_seconds"]) == (20, 10, 2.5)
    assert "scale" not in config and "raters_per_stimulus" not in config, "the study owns them"
    assert [(a["key"], a["weight"]) for a in config["aspects"]] == [
        ("resolution", 2), ("noise", 1), ("distortion", 1.5), ("colour", 0.5)]
    assert config["severities"][3]["points"] == 3
    assert config["consistency"] == {"min_range": None, "max_deviation": 1.5, "max_std": 0.8}
    assert config["examples"] == [{"stimulus": "training0.png", "caption": "slight noise only: 5 - 0.5 = 4.5, rated 4"}]
    study.refresh_from_db()
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (0, 100, 3)
    assert "Protocol version 2 published" in client.get(response.url).content.decode()


@pytest.mark.parametrize("changes, message", [
    ({"aspects-4-key": "colour", "aspects-4-label": "Colour", "aspects-4-weight": 1, "aspects-4-shortcut": "r"},
     "aspect shortcuts must be distinct letters"),
    ({"severities-0-DELETE": "on"}, "severities must include &#x27;none&#x27;"),
    ({"block_size": 0}, "Ensure this value is greater than or equal to 1"),
    ({"qualification_threshold": 1.5}, "Ensure this value is less than or equal to 1"),
    ({"aspects-2-weight": "heavy"}, "Enter a number"),
    ({"min_viewing_seconds": 31}, "Ensure this value is less than or equal to 30"),
    ({"examples-0-stimulus": "not-in-this-study.png", "examples-0-caption": "x"}, "Select a valid choice"),
    ({"dimensions-0-name": "Technical Quality", "dimensions-0-label": "Technical"},
     "Use lower-case letters, digits, - or _."),
    ({"dimensions-TOTAL_FORMS": 3, "dimensions-0-name": "technical", "dimensions-0-label": "Technical",
      "dimensions-1-name": "technical", "dimensions-1-label": "Again"}, "dimension names must be unique"),
    ({"dimensions-0-name": "technical", "dimensions-0-label": "Technical"}, "one dimension is the single score"),
    ({"dimensions-TOTAL_FORMS": 7, **{f"dimensions-{i}-{key}": f"d{i}" for i in range(7) for key in ("name", "label")}},
     "Please submit at most 6 forms"),
])
def test_bad_settings_are_explained_and_nothing_is_published(proto, client, coordinator, changes, message):
    study, _ = proto
    client.force_login(coordinator)
    response = client.post(f"/studies/{study.pk}/protocol/", form_data(raters_per_stimulus=3, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert StudyProtocol.objects.filter(study=study).count() == 1
    assert Study.objects.get(pk=study.pk).raters_per_stimulus == 5, "the study's settings are saved with it or not"


def test_the_instructions_show_the_illustrated_examples(proto, client, coordinator):
    study, annotator = proto
    client.force_login(coordinator)
    client.post(f"/studies/{study.pk}/protocol/", form_data(**{
        "examples-0-stimulus": "training0.png", "examples-0-caption": "slight noise: rated 4"}))
    client.force_login(annotator)
    page = client.get(f"/studies/{study.pk}/rate/").content.decode()
    training = Stimulus.objects.get(study=study, name="training0.png")
    assert f'src="/studies/{study.pk}/stimuli/{training.pk}/image"' in page and "slight noise: rated 4" in page


def test_dimensions_prompt_and_replay_are_edited_and_versioned(proto, client, coordinator):
    study, annotator = proto
    client.force_login(coordinator)
    empty = client.get(f"/studies/{study.pk}/protocol/").content.decode()
    assert 'name="dimensions-TOTAL_FORMS" value="3"' in empty, "three empty rows: AIGC-VQA's dimensions at once"
    response = client.post(f"/studies/{study.pk}/protocol/", form_data(**{
        "scale": "slider100", "show_prompt": "on", "replay": "", "note": "three AIGC-VQA dimensions",
        "dimensions-TOTAL_FORMS": 4, "dimensions-0-name": "technical", "dimensions-0-label": "Technical quality",
        "dimensions-1-name": "aesthetic", "dimensions-1-label": "Aesthetic quality",
        "dimensions-2-name": "alignment", "dimensions-2-label": "Prompt alignment",
    }))
    assert response.status_code == 302
    config = StudyProtocol.objects.filter(study=study).order_by("-version").first().config
    assert config["dimensions"] == [{"name": "technical", "label": "Technical quality"},
                                    {"name": "aesthetic", "label": "Aesthetic quality"},
                                    {"name": "alignment", "label": "Prompt alignment"}]
    assert config["show_prompt"] is True and config["replay"] is False
    page = client.get(f"/studies/{study.pk}/protocol/").content.decode()
    assert 'value="alignment"' in page and "Version 2 is in use" in page, "the page shows the new version"
    assert 'name="dimensions-TOTAL_FORMS" value="4"' in page, "three dimensions and one empty row"
    response = client.post(f"/studies/{study.pk}/protocol/", form_data(**{
        "dimensions-TOTAL_FORMS": 4, "dimensions-INITIAL_FORMS": 3,
        "dimensions-0-name": "technical", "dimensions-0-label": "Technical quality",
        "dimensions-1-name": "aesthetic", "dimensions-1-label": "Aesthetic quality",
        "dimensions-2-name": "alignment", "dimensions-2-label": "Prompt alignment", "dimensions-2-DELETE": "on",
    }))
    assert response.status_code == 302
    latest = StudyProtocol.objects.filter(study=study).order_by("-version").first()
    assert latest.version == 3 and [d["name"] for d in latest.config["dimensions"]] == ["technical", "aesthetic"]
