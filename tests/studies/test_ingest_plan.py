"""The import checks, without a database: every bad input is reported, nothing is planned."""
import io
import zipfile

import pytest

from moslab_science.ingest import ImportRejected, plan_import, read_source
from moslab_science.ingest.sources import SourceProblem
from tests.conftest import write_image

LIMIT = 10_000_000


def plan(folder, manifest=None, existing=None, max_pixels=LIMIT):
    files = read_source(folder, max_total_bytes=LIMIT)
    return plan_import(files, manifest_text=manifest, existing=existing or {}, max_pixels=max_pixels)


def problems_of(folder, **kwargs) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        plan(folder, **kwargs)
    return caught.value.problems


def test_plan_reads_metadata_and_hashes(image_folder):
    manifest = "file,source_content,group_degradation,reference\nimg0.png,a,none,\nimg1.png,a,noise,img0.png\n"
    manifest += "img2.png,b,none,\nimg3.png,b,blur,img2.png\n"
    result = plan(image_folder, manifest=manifest)
    by_name = {item.name: item for item in result.new}
    assert sorted(by_name) == ["img0.png", "img1.png", "img2.png", "img3.png"]
    assert by_name["img1.png"].meta.groups == {"degradation": "noise"}
    assert by_name["img1.png"].meta.reference == "img0.png"
    assert by_name["img0.png"].info.width == 32 and by_name["img0.png"].info.height == 24
    assert len({item.info.sha256 for item in result.new}) == 4


def test_manifest_csv_inside_the_source_is_used(image_folder):
    (image_folder / "manifest.csv").write_text("file,source_content\n" + "".join(
        f"img{i}.png,src{i // 2}\n" for i in range(4)))
    result = plan(image_folder)
    assert {item.meta.source_content for item in result.new} == {"src0", "src1"}


def test_non_image_is_refused_by_name(image_folder):
    (image_folder / "notes.txt").write_text("hello")
    assert any(p.startswith("notes.txt: not an image") for p in problems_of(image_folder))


def test_truncated_image_is_refused(image_folder):
    data = (image_folder / "img0.png").read_bytes()
    (image_folder / "img0.png").write_bytes(data[: len(data) // 2])
    assert any("img0.png" in p and ("damaged" in p or "not an image" in p) for p in problems_of(image_folder))


def test_decompression_bomb_is_refused(image_folder):
    write_image(image_folder / "big.png", size=(400, 300))
    problems = problems_of(image_folder, max_pixels=100_000)
    assert any(p.startswith("big.png:") and "more than the limit" in p for p in problems)


def test_duplicate_bytes_are_refused(image_folder):
    (image_folder / "copy.png").write_bytes((image_folder / "img1.png").read_bytes())
    assert any("identical bytes" in p for p in problems_of(image_folder))


def test_unknown_manifest_column_is_named(image_folder):
    manifest = "file,degradation\n" + "".join(f"img{i}.png,x\n" for i in range(4))
    problems = problems_of(image_folder, manifest=manifest)
    assert any("unknown manifest column 'degradation'" in p and "group_<label>" in p for p in problems)


def test_manifest_and_source_must_agree(image_folder):
    manifest = "file\nimg0.png\nimg1.png\nimg2.png\nmissing.png\n"
    problems = problems_of(image_folder, manifest=manifest)
    assert "img3.png: no manifest row for this image" in problems
    assert "manifest lists missing.png, which is not in the source" in problems


def test_unknown_reference_is_refused(image_folder):
    manifest = "file,reference\nimg0.png,nowhere.png\nimg1.png,\nimg2.png,\nimg3.png,\n"
    assert any("reference nowhere.png" in p for p in problems_of(image_folder, manifest=manifest))


def test_same_name_with_other_bytes_is_refused_but_same_bytes_is_a_no_op(image_folder):
    first = plan(image_folder)
    existing = {item.name: item.info.sha256 for item in first.new}
    again = plan(image_folder, existing=existing)
    assert again.new == [] and sorted(again.unchanged) == sorted(existing)
    existing["img0.png"] = "0" * 64
    assert any("different image under this name" in p for p in problems_of(image_folder, existing=existing))


def make_zip(path, entries: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def png_bytes(seed=0) -> bytes:
    buffer = io.BytesIO()
    from PIL import Image
    Image.new("RGB", (8, 8), (seed, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png", "C:/evil.png"])
def test_zip_entries_escaping_the_folder_are_refused(tmp_path, name):
    archive = make_zip(tmp_path / "in.zip", {"ok.png": png_bytes(), name: png_bytes(1)})
    with pytest.raises(SourceProblem, match="outside the import folder"):
        read_source(archive, max_total_bytes=LIMIT)


def test_zip_symlink_is_refused(tmp_path):
    archive_path = tmp_path / "in.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(SourceProblem, match="symbolic link"):
        read_source(archive_path, max_total_bytes=LIMIT)


def test_zip_larger_than_the_limit_is_refused(tmp_path):
    archive = make_zip(tmp_path / "in.zip", {"a.png": png_bytes(), "b.png": png_bytes(2)})
    with pytest.raises(SourceProblem, match="more than the limit"):
        read_source(archive, max_total_bytes=10)


def test_zip_with_folders_keeps_relative_names(tmp_path):
    archive = make_zip(tmp_path / "in.zip", {"set/a.png": png_bytes(), "__MACOSX/set/._a.png": b"junk"})
    assert [f.name for f in read_source(archive, max_total_bytes=LIMIT)] == ["set/a.png"]


def test_folder_with_subfolders_keeps_relative_names_and_skips_hidden_ones(tmp_path):
    for name, data in {"b.png": png_bytes(), "set/deeper/a.png": png_bytes(1), ".git/x.png": png_bytes(2),
                       "set/.DS_Store": b"junk", "__MACOSX/set/._a.png": b"junk", "set/Thumbs.db": b"junk"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    files = read_source(tmp_path, max_total_bytes=LIMIT)
    assert [(f.name, f.size_bytes) for f in files] == [("b.png", len(png_bytes())),
                                                       ("set/deeper/a.png", len(png_bytes(1)))]
    assert files[1].read_bytes() == png_bytes(1)


@pytest.mark.parametrize("target", ["file", "folder"])
def test_folder_symlink_is_refused(tmp_path, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(png_bytes())
    source = tmp_path / "source"
    (source / "set").mkdir(parents=True)
    (source / "set" / "ok.png").write_bytes(png_bytes(1))
    (source / "set" / "link").symlink_to(outside / "secret.png" if target == "file" else outside)
    with pytest.raises(SourceProblem, match="set/link is a symbolic link"):
        read_source(source, max_total_bytes=LIMIT)
