"""Video stimuli in a study: import of MP4 and WebM with probed metadata, byte for byte, all or nothing;
served to members with the right type and HTTP Range support."""
import hashlib
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from common.errors import DomainError
from studies import services
from studies.models import Membership, Stimulus
from tests.conftest import write_image
from tests.studies.conftest import write_clips
from tests.videos import write_video

pytestmark = pytest.mark.django_db


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def stored_bytes(stimulus: Stimulus) -> bytes:
    with stimulus.file.open("rb") as handle:
        return handle.read()


def test_mp4_and_webm_are_imported_with_probed_metadata_and_original_bytes(study, tmp_path):
    folder = write_clips(tmp_path / "clips", count=4)
    write_image(folder / "still.png", seed=2)
    (folder / "manifest.csv").write_text((folder / "manifest.csv").read_text() + "still.png,p9,a still\n")
    report = services.stimuli_import(study=study, source=folder)
    assert sorted(report.created) == ["c0.mp4", "c1.webm", "c2.mp4", "c3.webm", "still.png"]
    for name, container, codec in (("c0.mp4", "mp4", "h264"), ("c1.webm", "webm", "vp9")):
        clip = Stimulus.objects.get(study=study, name=name)
        original = (folder / name).read_bytes()
        assert stored_bytes(clip) == original and clip.sha256 == hashlib.sha256(original).hexdigest()
        assert (clip.media_type, clip.image_format, clip.codec) == ("video", container, codec)
        assert (clip.width, clip.height, clip.frame_count) == (64, 48, 8)
        assert clip.fps == pytest.approx(8, rel=0.01) and clip.duration_seconds == pytest.approx(1.0, rel=0.01)
        assert clip.size_bytes == len(original) and not clip.variable_frame_rate
        assert clip.prompt.startswith("a red fox") and clip.file.name.endswith(f".{container}")
    still = Stimulus.objects.get(study=study, name="still.png")
    assert (still.media_type, still.image_format, still.frame_count) == ("image", "PNG", None)
    again = services.stimuli_import(study=study, source=folder)
    assert again.created == [] and len(again.unchanged) == 5, "importing the same clips again is a no-op"


def test_a_zip_of_clips_imports_through_the_command(study, tmp_path, capsys):
    folder = write_clips(tmp_path / "clips", count=2)
    archive = tmp_path / "clips.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in folder.iterdir():
            if path.suffix != ".csv":
                handle.write(path, f"videos/{path.name}")
    call_command("import_stimuli", study.slug, str(archive), "--manifest", str(_manifest(tmp_path)))
    assert "Imported 2 stimuli" in capsys.readouterr().out
    assert set(Stimulus.objects.filter(study=study).values_list("name", "media_type")) == {
        ("videos/c0.mp4", "video"), ("videos/c1.webm", "video")}


def _manifest(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_text("file,prompt\nvideos/c0.mp4,a fox\nvideos/c1.webm,a hare\n")
    return path


def test_variable_frame_rate_is_accepted_and_flagged(study, tmp_path):
    folder = tmp_path / "vfr"
    write_video(folder / "vfr.mp4", frames=8, times=[0, 0.1, 0.2, 0.5, 0.6, 1.0, 1.1, 1.2])
    services.stimuli_import(study=study, source=folder)
    clip = Stimulus.objects.get(study=study)
    assert clip.variable_frame_rate and clip.frame_count == 8 and clip.media_type == "video"


def test_every_bad_video_is_listed_and_nothing_is_written(study, tmp_path, media_root, settings):
    settings.MOSLAB_MAX_VIDEO_SECONDS = 3
    folder = tmp_path / "bad"
    good = write_video(folder / "good.mp4", frames=24, fps=8).read_bytes()
    (folder / "truncated.mp4").write_bytes(good[: len(good) // 2])
    (folder / "empty.webm").write_bytes(b"")
    (folder / "unreadable.webm").write_bytes(b"this is text, not a video")
    write_video(folder / "long.mp4", frames=40, fps=8, seed=3)  # 5 s
    write_video(folder / "big.webm", frames=4, size=(640, 480), seed=4)
    settings.MOSLAB_MAX_IMAGE_PIXELS = 100_000  # 640x480 = 307,200 pixels
    with pytest.raises(DomainError) as caught:
        services.stimuli_import(study=study, source=folder)
    problems = caught.value.problems
    by_file = {problem.split(":", 1)[0]: problem for problem in problems}
    assert set(by_file) == {"truncated.mp4", "empty.webm", "unreadable.webm", "long.mp4", "big.webm"}, problems
    assert "zero length" in by_file["empty.webm"]
    assert "not a readable video" in by_file["unreadable.webm"]
    assert any(word in by_file["truncated.mp4"] for word in ("damaged or truncated", "not a readable", "no frames"))
    assert "limited to 3 s (MOSLAB_MAX_VIDEO_SECONDS)" in by_file["long.mp4"]
    assert "exceed 100,000 pixels" in by_file["big.webm"]
    assert Stimulus.objects.count() == 0 and stored_files(media_root) == []


def test_a_clip_named_for_the_wrong_container_is_refused(study, tmp_path):
    folder = tmp_path / "renamed"
    write_video(folder / "clip.webm", frames=4)
    (folder / "clip.webm").rename(folder / "clip.mp4")
    with pytest.raises(DomainError) as caught:
        services.stimuli_import(study=study, source=folder)
    assert "clip.mp4: the file is a WEBM video; name it .webm" in caught.value.problems[0]


@pytest.fixture
def clips(study, tmp_path, coordinator, client):
    services.stimuli_import(study=study, source=write_clips(tmp_path / "clips", count=2))
    client.force_login(coordinator)
    return {stimulus.name: stimulus for stimulus in Stimulus.objects.filter(study=study)}


def media_url(stimulus) -> str:
    return reverse("studies:stimulus-media", args=[stimulus.study_id, stimulus.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("name, content_type", [("c0.mp4", "video/mp4"), ("c1.webm", "video/webm")])
def test_the_media_view_serves_videos_whole_and_in_ranges(clips, client, name, content_type):
    clip = clips[name]
    data = stored_bytes(clip)
    whole = client.get(media_url(clip))
    assert whole.status_code == 200 and whole["Content-Type"] == content_type and whole["Accept-Ranges"] == "bytes"
    assert body(whole) == data and whole["X-Content-Type-Options"] == "nosniff"
    first = client.get(media_url(clip), HTTP_RANGE="bytes=0-99")
    assert first.status_code == 206 and first["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert first["Content-Length"] == "100" and body(first) == data[:100] and first["Content-Type"] == content_type
    rest = client.get(media_url(clip), HTTP_RANGE="bytes=100-")
    assert rest.status_code == 206 and body(rest) == data[100:]
    assert rest["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"
    tail = client.get(media_url(clip), HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and body(tail) == data[-10:]
    past_end = client.get(media_url(clip), HTTP_RANGE=f"bytes={len(data)}-")
    assert past_end.status_code == 416 and past_end["Content-Range"] == f"bytes */{len(data)}"
    beyond = client.get(media_url(clip), HTTP_RANGE=f"bytes=10-{len(data) + 500}")
    assert beyond.status_code == 206 and body(beyond) == data[10:], "a range past the end is cut at the end"
    several = client.get(media_url(clip), HTTP_RANGE="bytes=0-1,5-6")
    assert several.status_code == 200 and body(several) == data, "several ranges: the whole file"


def test_the_old_image_url_serves_videos_too_and_images_keep_their_type(clips, client, study, tmp_path):
    clip = clips["c0.mp4"]
    response = client.get(reverse("studies:stimulus-image", args=[study.pk, clip.pk]), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and body(response) == stored_bytes(clip)[:10]
    services.stimuli_import(study=study, source=tmp_path / "clips")  # unchanged: a no-op
    folder = tmp_path / "still"
    write_image(folder / "s.jpg", image_format="JPEG")
    services.stimuli_import(study=study, source=folder)
    image = Stimulus.objects.get(study=study, name="s.jpg")
    response = client.get(media_url(image))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_media_are_served_to_members_only(clips, client, make_user, study):
    clip = clips["c1.webm"]
    outsider = make_user("outsider")
    client.force_login(outsider)
    assert client.get(media_url(clip), HTTP_RANGE="bytes=0-9").status_code == 404
    services.membership_add(study=study, user=outsider, role=Membership.Role.ANNOTATOR)
    assert client.get(media_url(clip), HTTP_RANGE="bytes=0-9").status_code == 206
    client.logout()
    assert client.get(media_url(clip)).status_code == 302, "anonymous users are sent to log in"


def test_a_file_seen_before_answers_304_to_members_only(clips, client, make_user, study, coordinator):
    clip = clips["c0.mp4"]
    first = client.get(media_url(clip))
    assert first.status_code == 200 and first["ETag"] == f'"{clip.sha256}"' and len(body(first)) > 0
    again = client.get(media_url(clip), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert client.get(media_url(clip), HTTP_IF_NONE_MATCH='"another"').status_code == 200, "another file's tag"
    client.force_login(make_user("outsider"))
    assert client.get(media_url(clip), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404, "the tag opens nothing"
    other = services.study_create(name="Other", slug="other", created_by=coordinator)
    client.force_login(coordinator)
    wrong_study = reverse("studies:stimulus-media", args=[other.pk, clip.pk])
    assert client.get(wrong_study).status_code == 404, "a stimulus is served under its own study only"
