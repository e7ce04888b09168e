"""Importing into a study: byte-exact, all or nothing, idempotent; from the service, command and admin."""
import hashlib
import zipfile

import pytest
from django.core.management import CommandError, call_command

from common.errors import DomainError
from common.new_files import NewFiles
from studies import services
from studies.models import Stimulus
from tests.conftest import write_image

pytestmark = pytest.mark.django_db


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def test_import_stores_original_bytes_and_metadata(study, image_folder, media_root):
    (image_folder / "manifest.csv").write_text(
        "file,source_content,group_enhancer,reference,prompt\n"
        "img0.png,s0,none,,a cat\nimg1.png,s0,bicubic,img0.png,a cat\nimg2.png,s1,none,,\nimg3.png,s1,clahe,img2.png,\n"
    )
    report = services.stimuli_import(study=study, source=image_folder)
    assert sorted(report.created) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    for stimulus in Stimulus.objects.filter(study=study):
        original = (image_folder / stimulus.name).read_bytes()
        with stimulus.file.open("rb") as handle:
            stored = handle.read()
        assert stored == original
        assert stimulus.sha256 == hashlib.sha256(original).hexdigest()
        assert (stimulus.width, stimulus.height, stimulus.image_format) == (32, 24, "PNG")
    img1 = Stimulus.objects.get(study=study, name="img1.png")
    assert img1.reference.name == "img0.png"
    assert img1.groups == {"enhancer": "bicubic"} and img1.prompt == "a cat" and img1.source_content == "s0"


def test_import_twice_is_a_no_op(study, image_folder):
    services.stimuli_import(study=study, source=image_folder)
    report = services.stimuli_import(study=study, source=image_folder)
    assert report.created == [] and len(report.unchanged) == 4
    assert Stimulus.objects.filter(study=study).count() == 4


@pytest.mark.parametrize(
    "spoil",
    [
        lambda folder: (folder / "readme.txt").write_text("not an image"),
        lambda folder: (folder / "dup.png").write_bytes((folder / "img0.png").read_bytes()),
        lambda folder: (folder / "manifest.csv").write_text("file,colour\nimg0.png,red\n"),
        lambda folder: write_image(folder / "huge.png", size=(3000, 3000)),
    ],
    ids=["non-image", "duplicate", "unknown-column", "decompression-bomb"],
)
def test_bad_input_writes_nothing(study, image_folder, media_root, settings, spoil):
    settings.MOSLAB_MAX_IMAGE_PIXELS = 1_000_000
    spoil(image_folder)
    with pytest.raises(DomainError) as caught:
        services.stimuli_import(study=study, source=image_folder)
    assert caught.value.problems, "the error lists what to fix"
    assert Stimulus.objects.count() == 0
    assert stored_files(media_root) == []


def test_zip_escaping_the_folder_writes_nothing(study, tmp_path, media_root):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(write_image(tmp_path / "a.png"), "a.png")
        handle.write(write_image(tmp_path / "b.png", seed=3), "../../b.png")
    with pytest.raises(DomainError, match="outside the import folder"):
        services.stimuli_import(study=study, source=archive)
    assert Stimulus.objects.count() == 0 and stored_files(media_root) == []


def test_failure_while_writing_rolls_back_rows_and_files(study, image_folder, media_root, monkeypatch):
    """A disk that fails on the third file: the two written before are removed, no row remains."""
    real_save = NewFiles.save
    calls = []

    def failing_save(self, name, data):
        calls.append(name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_save(self, name, data)

    monkeypatch.setattr(NewFiles, "save", failing_save)
    with pytest.raises(OSError, match="No space left"):
        services.stimuli_import(study=study, source=image_folder)
    assert len(calls) == 3
    assert Stimulus.objects.count() == 0
    assert stored_files(media_root) == []


def test_command_imports_and_reports_errors(study, image_folder, tmp_path, capsys):
    call_command("import_stimuli", study.slug, str(image_folder))
    assert "Imported 4 stimuli" in capsys.readouterr().out
    (image_folder / "bad.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(CommandError, match="bad.jpg: not an image"):
        call_command("import_stimuli", study.slug, str(image_folder))
    with pytest.raises(CommandError, match="No study with the slug"):
        call_command("import_stimuli", "nope", str(image_folder))


def test_admin_import_action(client, study, image_folder, tmp_path, make_user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    archive = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in image_folder.iterdir():
            handle.write(path, path.name)
    response = client.post(
        "/admin/studies/study/", {"action": "import_stimuli", "_selected_action": [study.pk]}
    )
    assert response.status_code == 302 and response.url.endswith(f"/{study.pk}/import-stimuli/")
    with archive.open("rb") as upload:
        response = client.post(response.url, {"archive": upload}, follow=True)
    assert "Imported 4 stimuli" in response.content.decode()
    assert Stimulus.objects.filter(study=study).count() == 4
