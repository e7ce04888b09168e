"""Each export format: the writer's output parses with a reader written from the published description,
and has the published field names and shape."""

import csv
import io
import json

import pytest

from moslab_science.datasets import DatasetError, RawVote, SplitSpec, make_splits
from moslab_science.datasets.formats import (
    LEVELS,
    read_deqa_json,
    read_dover_labels,
    read_pyiqa_meta,
    read_qalign_json,
    read_sujson,
    read_t2vqa_labels,
    write_deqa_json,
    write_dover_labels,
    write_pyiqa_meta,
    write_qalign_json,
    write_sujson,
    write_t2vqa_labels,
)
from moslab_science.datasets.votes import vote_statistics
from tests.datasets.builders import enhanced_items, item, votes_for


def _written(writer, *args, **kwargs) -> str:
    stream = io.StringIO()
    writer(*args, stream, **kwargs)
    return stream.getvalue()


def test_pyiqa_meta_has_path_then_mos_and_split_columns_pyiqa_selects():
    items = enhanced_items(10)
    splits = make_splits(items, SplitSpec("ratio", (("train", 8), ("val", 1), ("test", 1)), seed=1, repeats=2))
    text = _written(write_pyiqa_meta, items, splits)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["img_name", "mos", "std"]
    split_columns = [c for c in rows[0] if "split" in c]  # pyiqa: every column whose name contains "split"
    assert split_columns == [f"split_{name}" for name in splits]
    first_split = next(iter(splits.values()))
    column = rows[0].index(split_columns[0])
    train_rows = [row for row in rows[1:] if row[column] == "train"]  # pyiqa keeps the rows equal to its phase
    assert sorted(row[0] for row in train_rows) == sorted(f"images/{n}" for n, p in first_split.items() if p == "train")
    meta = read_pyiqa_meta(io.StringIO(text))
    by_path = {it.file: it for it in items}
    assert meta.mos == [by_path[path].mos for path in meta.images]
    assert meta.splits[split_columns[0]] == {f"images/{name}": part for name, part in first_split.items()}


def test_pyiqa_reader_follows_the_published_example_and_refuses_other_phases():
    published = "img_name,mos,std,split\n10004473376.jpg,77.38,0.527,training\n"  # KonIQ's own phase names
    with pytest.raises(DatasetError, match="not one of train, val, test"):
        read_pyiqa_meta(io.StringIO(published))
    meta = read_pyiqa_meta(io.StringIO("img_name,mos,std\nt1.bmp,63.96,18.37\n"))
    assert (meta.images, meta.mos, meta.std, meta.splits) == (["t1.bmp"], [63.96], [18.37], {})


def test_qalign_levels_come_from_equal_bins_over_the_training_range():
    items = [item(f"t{i}", mos) for i, mos in enumerate([1.0, 2.0, 3.0, 4.0, 5.0, 2.6])] + [item("x", 5.0)]
    assignment = {f"t{i}": "train" for i in range(6)} | {"x": "test"}
    text = _written(write_qalign_json, items, assignment, scale=(0, 10))
    # training range 1..5: bins (1, 1.8], (1.8, 2.6], (2.6, 3.4], (3.4, 4.2], (4.2, 5]
    levels = {entry.image: entry.level for entry in read_qalign_json(io.StringIO(text))}
    assert levels == {
        "images/t0": "bad",
        "images/t1": "poor",
        "images/t5": "poor",
        "images/t2": "fair",
        "images/t3": "good",
        "images/t4": "excellent",
        "images/x": "excellent",
    }
    entry = json.loads(text)[0]
    assert set(entry) == {"id", "image", "conversations", "gt_score"}
    assert entry["id"] == f"{entry['image']}->{entry['gt_score']!r}"
    assert entry["conversations"][0] == {
        "from": "human",
        "value": "How would you rate the quality of this image?\n<|image|>",
    }
    only_test = _written(write_qalign_json, items, assignment, scale=(0, 10), parts={"test"})
    assert [e["image"] for e in json.loads(only_test)] == ["images/x"]


def test_qalign_reader_reads_the_published_shape_and_refuses_others():
    published = [
        {
            "id": "livec/89.bmp->32.1",
            "image": "livec/89.bmp",
            "conversations": [
                {"from": "human", "value": "How would you rate the quality of this image?\n<|image|>"},
                {"from": "gpt", "value": "The quality of the image is poor."},
            ],
            "gt_score": 32.1,
        }
    ]
    (entry,) = read_qalign_json(io.StringIO(json.dumps(published)))
    assert (entry.image, entry.level, entry.score) == ("livec/89.bmp", "poor", 32.1)
    published[0]["conversations"][1]["value"] = "It looks poor."
    with pytest.raises(DatasetError, match="lack Q-Align's shape"):
        read_qalign_json(io.StringIO(json.dumps(published)))
    with pytest.raises(DatasetError, match="no item is in the part 'train'"):
        write_qalign_json([item("a")], {"a": "test"}, io.StringIO(), scale=(1, 5))


def test_deqa_soft_labels_are_vote_shares_per_level_excellent_first():
    items = [item("a", 3.0), item("b", 4.5)]
    votes = [
        RawVote("a", "s1", 1.0),
        RawVote("a", "s2", 3.0),
        RawVote("a", "s3", 5.0),
        RawVote("a", "s4", 3.0),
        RawVote("a", "s5", 2.0, verified=False),  # does not count
        RawVote("b", "s1", 4.0),
        RawVote("b", "s2", 5.0, subject_rejected=True),  # does not count
    ]
    text = _written(write_deqa_json, items, votes, scale=(1, 5))
    a, b = json.loads(text)
    assert a["level_probs"] == [0.25, 0.0, 0.5, 0.0, 0.25]
    assert b["level_probs"] == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert {"id", "image", "gt_score", "gt_score_norm", "level_probs", "std", "std_norm", "conversations"} <= set(a)
    assert (a["gt_score_norm"], b["gt_score_norm"]) == (3.0, 4.5)
    entries = read_deqa_json(io.StringIO(text))
    assert [(e.image, e.level) for e in entries] == [("images/a", "fair"), ("images/b", "excellent")]


def test_deqa_bins_votes_on_other_scales_into_five_equal_width_levels():
    votes = [RawVote("a", f"s{v}", float(v)) for v in range(1, 11)]  # one vote on each of 1..10
    (entry,) = json.loads(_written(write_deqa_json, [item("a", 5.5)], votes, scale=(1, 10)))
    assert entry["level_probs"] == [0.2] * 5  # 9-10 excellent, 7-8 good, 5-6 fair, 3-4 poor, 1-2 bad
    with pytest.raises(DatasetError, match="no counted votes"):
        write_deqa_json([item("a"), item("z")], votes, io.StringIO(), scale=(1, 10))


def test_dover_labels_parse_as_dover_does():
    items = [item("v1.mp4", 3.22), item("v2.mp4", 1 / 3)]
    text = _written(write_dover_labels, items)
    for line, it in zip(text.splitlines(), items, strict=True):
        filename, _, _, label = line.strip().split(",")  # DOVER's own parsing
        assert (filename, float(label)) == (it.file, it.mos)
    published = "KoNViD_1k_videos/4542323058.mp4, 8.008, 29.97002997002997, 3.22\n"
    assert read_dover_labels(io.StringIO(published)) == [("KoNViD_1k_videos/4542323058.mp4", 3.22)]
    with pytest.raises(DatasetError, match="cannot be written"):
        write_dover_labels([item("a,b.mp4")], io.StringIO())


def test_dover_labels_carry_aesthetic_and_technical_like_divide_3k():
    items = [item("v2.mp4", 2.5), item("v1.mp4", 3.22)]
    aesthetic, technical = {"v1.mp4": 1.0 / 3, "v2.mp4": 4.75}, {"v1.mp4": 2.0, "v2.mp4": 0.1 + 0.2}
    text = _written(write_dover_labels, items, aesthetic=aesthetic, technical=technical)
    for line in text.splitlines():
        filename, a, t, label = line.strip().split(",")  # DOVER's fully supervised reader
        name = filename.removeprefix("images/")
        assert (float(a), float(t)) == (aesthetic[name], technical[name])
    assert read_dover_labels(io.StringIO(text), dimensions=True) == [
        ("images/v1.mp4", 1.0 / 3, 2.0, 3.22), ("images/v2.mp4", 4.75, 0.1 + 0.2, 2.5)]
    published = "0001.mp4, 1.057142857, 1.142857143, 1.057142857\n"  # DIVIDE-3k's train_labels.txt
    assert read_dover_labels(io.StringIO(published), dimensions=True) == [
        ("0001.mp4", 1.057142857, 1.142857143, 1.057142857)]
    with pytest.raises(DatasetError, match="give both or neither"):
        write_dover_labels(items, io.StringIO(), aesthetic=aesthetic)
    with pytest.raises(DatasetError, match="lack an aesthetic or technical MOS: v2.mp4"):
        write_dover_labels(items, io.StringIO(), aesthetic={"v1.mp4": 1.0}, technical=technical)


def test_t2vqa_labels_parse_as_t2vqa_does():
    items = [item_with_prompt("b.mp4", 61.5, "a cat, playing piano"), item_with_prompt("a.webm", 1 / 3, "sunset")]
    text = _written(write_t2vqa_labels, items)
    assert text.splitlines()[0] == "images/a.webm|sunset|0.3333333333333333"
    for line in text.splitlines():
        filename, prompt, label = line.strip().split("|")  # T2VQA's own parsing
        assert prompt in ("a cat, playing piano", "sunset") and float(label) in (61.5, 1 / 3)
    assert read_t2vqa_labels(io.StringIO(text)) == [("images/a.webm", "sunset", 1 / 3),
                                                     ("images/b.mp4", "a cat, playing piano", 61.5)]
    with pytest.raises(DatasetError, match="a '\\|' or a line break"):
        write_t2vqa_labels([item_with_prompt("c.mp4", 3, "this | that")], io.StringIO())
    with pytest.raises(DatasetError, match="1 item\\(s\\) have no text prompt"):
        write_t2vqa_labels([item("d.mp4", 3)], io.StringIO())
    with pytest.raises(DatasetError, match="line 1"):
        read_t2vqa_labels(io.StringIO("a.mp4, 0, 0, 3\n"))


def item_with_prompt(name: str, mos: float, prompt: str):
    return item(name, mos).__class__(**{**item(name, mos).__dict__, "prompt": prompt})


def test_sujson_round_trips_items_and_votes():
    items = enhanced_items(3)
    votes = votes_for(items) + [RawVote(items[0].name, "s9", 2.0, repetition=1, round=1, verified=False)]
    stats = vote_statistics(votes)
    items = [
        item_.__class__(**{**item_.__dict__, "mos": s.mos, "std": s.std, "ci95": s.ci95, "count": s.count})
        for item_, s in ((it, stats[it.name]) for it in items)
    ]
    text = _written(write_sujson, items, votes, dataset_name="demo", scale=(1, 5), extra={"guideline": "v2"})
    read_items, read_votes, meta = read_sujson(io.StringIO(text))
    assert sorted(read_items, key=lambda it: it.name) == sorted(items, key=lambda it: it.name)
    assert sorted(read_votes, key=repr) == sorted(votes, key=repr)
    assert meta["scale"] == (1.0, 5.0) and meta["characteristics"]["guideline"] == "v2"
    document = json.loads(text)
    for key in ("dataset_name", "sujson_version", "scales", "questions", "src", "hrc", "pvs", "subjects", "trials"):
        assert key in document
    assert len(document["src"]) == 3 and len(document["pvs"]) == len(items)
    assert document["scales"][0]["labels"] == dict(zip(LEVELS, range(1, 6), strict=True))


def test_sujson_reader_reads_the_published_example_shape():
    """A file shaped like the suJSON example (two subjects, an ACR question, a pair comparison and a MOS)."""
    published = {
        "dataset_name": "example",
        "sujson_version": "1.1.1",
        "scales": [{"id": 1, "name": "ACR5", "type": "ordinal", "range": {"min": 1, "max": 5}}],
        "questions": [{"id": 1, "question": "Overall quality", "scale_id": 1}, {"id": 2, "question": "Pair"}],
        "src": [{"id": 1, "name": "Bunny", "path": "/Bunny.yuv"}],
        "hrc": [{"id": 1, "characteristics": {"codec": "H264", "bit_rate": 6}}],
        "pvs": [
            {"id": 1, "hrc_id": 1, "src_id": 1, "path": "/Bunny_a.yuv"},
            {"id": 2, "hrc_id": 1, "src_id": 1, "path": "/Bunny_b.yuv"},
        ],
        "subjects": [{"id": 1, "characteristics": {"age": 29}}, {"id": 2}],
        "trials": [
            {"id": 1, "subject_id": 1, "session_num": 1, "pvs_id": [1, 2, 1], "score_id": [1, 2, 3]},
            {"id": 2, "subject_id": 2, "session_num": 1, "pvs_id": [1], "score_id": [4]},
        ],
        "scores": [
            {"id": 1, "question_id": 1, "timestamp": "2018-11-19 17:32:04", "score": 4, "pvs_id": 1},
            {"id": 2, "question_id": 1, "timestamp": None, "score": 3, "pvs_id": 2},
            {"id": 3, "question_id": 2, "timestamp": None, "score": 1, "pvs_id": [1, 2]},
            {"id": 4, "question_id": 1, "timestamp": None, "score": 2, "pvs_id": 1},
            {"id": 5, "question_id": 1, "timestamp": None, "score": 3.5, "pvs_id": 1},
        ],
    }
    with pytest.raises(DatasetError, match="pass question_id"):
        read_sujson(io.StringIO(json.dumps(published)))
    items, votes, meta = read_sujson(io.StringIO(json.dumps(published)), question_id=1)
    assert {it.name: (it.mos, it.count, it.source_content, it.groups) for it in items} == {
        "Bunny_a.yuv": (3.0, 2, "Bunny", {"codec": "H264", "bit_rate": "6"}),
        "Bunny_b.yuv": (3.0, 1, "Bunny", {"codec": "H264", "bit_rate": "6"}),
    }
    assert sorted((v.stimulus, v.subject, v.score) for v in votes) == [
        ("Bunny_a.yuv", "1", 4.0),
        ("Bunny_a.yuv", "2", 2.0),
        ("Bunny_b.yuv", "1", 3.0),
    ]
    assert meta["scale"] == (1.0, 5.0)
    with pytest.raises(DatasetError, match="lacks the list"):
        read_sujson(io.StringIO('{"pvs": []}'))


def test_sujson_pvs_carry_the_items_mos_statistics_which_win_over_the_votes():
    """A version's MOS may come from a model (MLE) or screening: the file keeps it exactly, votes alongside."""
    items = [item("a", 4.123456789012345), item("b", 1.5)]
    votes = [RawVote("a", "s1", 1.0), RawVote("a", "s2", 2.0), RawVote("b", "s1", 5.0)]
    document = json.loads(_written(write_sujson, items, votes, dataset_name="d", scale=(1, 5)))
    assert {pvs["characteristics"]["name"]: pvs["characteristics"]["mos"] for pvs in document["pvs"]} == \
        {"a": 4.123456789012345, "b": 1.5}
    read_items, _, _ = read_sujson(io.StringIO(json.dumps(document)))
    assert sorted(read_items, key=lambda it: it.name) == items
    document["pvs"][0]["characteristics"].update(std=-1.0)
    document["pvs"][1]["characteristics"].update(count=2.5)
    with pytest.raises(DatasetError, match="2 pvs carry MOS statistics that are not finite"):
        read_sujson(io.StringIO(json.dumps(document)))
