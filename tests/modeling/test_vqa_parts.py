"""The pieces of moslab_science.vqa: fragments, the spatial-temporal adapter, the losses, Video Swin windows, the
stage parameter shares and the video table (training runs are in test_vqa_training.py)."""
import numpy as np
import pytest
import torch

from moslab_science.vqa import VqaError, build_model, resolve_config
from moslab_science.vqa.adapter import SpatialTemporalAdapter
from moslab_science.vqa.fragments import fragment_offsets, fragments
from moslab_science.vqa.losses import branch_loss, ranking_loss
from moslab_science.vqa.stages import last_share
from moslab_science.vqa.swin3d import SwinTransformer3D, shift_mask, window_partition, window_reverse
from moslab_science.vqa.table import read_video_table
from tests.modeling.iqa_fixtures import write_table  # (also: one torch thread)

DATA = {"video_column": "video", "mos_column": "mos", "prompt_column": "prompt", "split_column": "split",
        "dimension_columns": {"technical": "technical", "aesthetic": "aesthetic", "alignment": "alignment"}}


def position_frames(frames: int = 3, height: int = 48, width: int = 64) -> torch.Tensor:
    """(T, 3, H, W): channel 0 = row, channel 1 = column, channel 2 = frame index."""
    rows = torch.arange(height, dtype=torch.float32).view(height, 1).expand(height, width)
    columns = torch.arange(width, dtype=torch.float32).view(1, width).expand(height, width)
    return torch.stack([torch.stack([rows, columns, torch.full((height, width), float(t))]) for t in range(frames)])


def test_fragments_splice_native_resolution_mini_patches_from_each_grid_cell():
    frames = position_frames()
    out = fragments(frames, grid=2, patch=16, rng=np.random.default_rng(3))
    assert out.shape == (3, 3, 32, 32)  # (channels, T, grid * patch, grid * patch)
    for row in range(2):
        for column in range(2):
            patch = out[:, :, row * 16 : (row + 1) * 16, column * 16 : (column + 1) * 16]
            top, left = int(patch[0, 0, 0, 0]), int(patch[1, 0, 0, 0])
            assert row * 24 <= top <= (row + 1) * 24 - 16 and column * 32 <= left <= (column + 1) * 32 - 16
            # a contiguous native-resolution crop, the same place in every frame
            assert torch.equal(patch[0, 0], torch.arange(top, top + 16.0).view(16, 1).expand(16, 16))
            assert torch.equal(patch[1, 2], torch.arange(left, left + 16.0).view(1, 16).expand(16, 16))
    assert out[2, :, 0, 0].tolist() == [0.0, 1.0, 2.0]


def test_fragments_are_reproducible_random_in_training_and_centred_at_evaluation():
    frames = position_frames()
    first = fragments(frames, grid=2, patch=16, rng=np.random.default_rng([0, 1, 2]))
    assert torch.equal(first, fragments(frames, grid=2, patch=16, rng=np.random.default_rng([0, 1, 2])))
    others = [fragments(frames, grid=2, patch=16, rng=np.random.default_rng([0, 1, index])) for index in range(3, 8)]
    assert any(not torch.equal(first, other) for other in others)
    assert fragment_offsets(48, 64, grid=2, patch=16, rng=None) == [(4, 8), (4, 40), (28, 8), (28, 40)]
    centred = fragments(frames, grid=2, patch=16, rng=None)
    assert torch.equal(centred, fragments(frames, grid=2, patch=16, rng=None))


def test_frames_smaller_than_the_fragment_are_upscaled_first():
    out = fragments(torch.rand(2, 3, 10, 20), grid=2, patch=16, rng=None)
    assert out.shape == (3, 2, 32, 32)
    with_paper_sizes = fragments(torch.rand(1, 3, 48, 64), grid=7, patch=32, rng=np.random.default_rng(0))
    assert with_paper_sizes.shape == (3, 1, 224, 224)


def test_adapter_keeps_the_shape_and_starts_as_the_identity():
    torch.manual_seed(0)
    adapter = SpatialTemporalAdapter(16, bottleneck=4)
    tokens = torch.randn(2, 3, 1 + 4 * 4, 16)  # (B, T, class + 4x4 patches, C)
    assert torch.equal(adapter(tokens, (4, 4)), tokens)  # zero-initialised convolution: exactly residual
    assert adapter.conv.groups == 4 and adapter.conv.kernel_size == (3, 3, 3)  # depth-wise over (T, H, W)
    torch.nn.init.normal_(adapter.conv.weight)
    out = adapter(tokens, (4, 4))
    assert out.shape == tokens.shape
    assert torch.equal(out[:, :, 0], tokens[:, :, 0])  # class tokens skip the convolution
    assert not torch.allclose(out[:, :, 1:], tokens[:, :, 1:])
    changed = tokens.clone()
    changed[:, 0, 1:] += 1.0  # only frame 0's patches: the temporal kernel carries it to frame 1
    assert not torch.allclose(adapter(changed, (4, 4))[:, 1], out[:, 1])
    assert torch.equal(adapter(changed, (4, 4))[:, 2], out[:, 2])  # kernel 3: frame 2 is out of reach


def test_ranking_loss_counts_misordered_pairs_and_ignores_ties():
    targets = torch.tensor([1.0, 2.0, 3.0, 3.0])
    assert float(ranking_loss(torch.tensor([0.0, 1.0, 2.0, 5.0]), targets)) == 0.0
    # margin 1.5 over the 5 untied pairs, score differences 1, 2, 5, 1, 4: two fall 0.5 short
    assert float(ranking_loss(torch.tensor([0.0, 1.0, 2.0, 5.0]), targets, margin=1.5)) == pytest.approx(0.5 / 5 * 2)
    reversed_scores = torch.tensor([3.0, 2.0, 1.0, 1.0])
    # 5 ordered pairs, each reversed by 1, 2, 2, 1, 1
    assert float(ranking_loss(reversed_scores, targets)) == pytest.approx((1 + 2 + 2 + 1 + 1) / 5)
    assert float(ranking_loss(torch.tensor([1.0, 2.0]), torch.tensor([4.0, 4.0]))) == 0.0


def test_branch_loss_is_zero_for_a_linear_fit_and_ignores_the_mos_scale():
    targets = torch.tensor([10.0, 20.0, 40.0, 80.0])
    assert float(branch_loss(targets / 10 - 3, targets, rank_weight=1.0, margin=0.0)) == pytest.approx(0.0, abs=1e-6)
    scores = torch.tensor([0.3, 0.1, 0.5, 0.4])
    assert float(branch_loss(scores, targets, rank_weight=1.0, margin=0.0)) > 0.1
    assert float(branch_loss(scores, targets * 7 + 3, rank_weight=1.0, margin=0.0)) == pytest.approx(
        float(branch_loss(scores, targets, rank_weight=1.0, margin=0.0)), abs=1e-6)


def test_video_swin_windows_round_trip_and_shifted_masks_separate_regions():
    x = torch.randn(2, 4, 8, 8, 5)
    assert torch.equal(window_reverse(window_partition(x, (2, 4, 4)), (2, 4, 4), 2, 4, 8, 8), x)
    mask = shift_mask(4, 8, 8, (2, 4, 4), (1, 2, 2), torch.device("cpu"))
    assert mask.shape == (8, 32, 32)
    assert bool((mask[0] == 0).all())  # the first window holds one region only
    assert bool((mask[-1] == -100).any())  # the last window mixes wrapped-around regions
    model = SwinTransformer3D(embed_dim=8, depths=(2, 2), heads=(2, 2), window=(2, 4, 4))
    assert model(torch.randn(1, 3, 4, 32, 32)).shape == (1, 2, 4, 4, 16)  # merged once: width doubled


def test_last_share_takes_parameters_from_the_end_by_element_count():
    params = [torch.nn.Parameter(torch.zeros(size)) for size in (50, 30, 10, 10)]
    assert [p.numel() for p in last_share(params, 0.3)] == [30, 10, 10]
    assert [p.numel() for p in last_share(params, 0.2)] == [10, 10]
    assert last_share(params, 0.0) == []
    assert len(last_share(params, 1.0)) == 4


def test_video_table_falls_back_to_the_overall_mos_for_a_missing_dimension(tmp_path):
    columns = ("video", "mos", "technical", "alignment", "prompt", "split")
    rows = [{"video": "a.mp4", "mos": "50", "technical": "40", "alignment": "", "prompt": "a cat", "split": "train"},
            {"video": "b.mp4", "mos": "60", "technical": "70", "alignment": "65", "prompt": "", "split": "val"}]
    items = read_video_table(write_table(tmp_path / "t.csv", rows, columns), DATA)
    assert [item.target("technical") for item in items] == [40.0, 70.0]
    assert [item.target("aesthetic") for item in items] == [50.0, 60.0]  # no aesthetic column
    assert [item.target("alignment") for item in items] == [50.0, 65.0]  # empty cell
    assert [item.prompt for item in items] == ["a cat", ""]
    rows[0]["technical"], rows[1]["split"] = "x", "dev"
    with pytest.raises(VqaError) as error:
        read_video_table(write_table(tmp_path / "bad.csv", rows, columns), DATA)
    assert "split is 'dev'" in str(error.value) and "no 'val' rows" in str(error.value)
    assert "technical 'x' is not a finite number" in str(error.value)


def test_configuration_refuses_unknown_keys_bad_stages_and_mismatched_frame_sizes():
    with pytest.raises(VqaError, match="unknown configuration key 'stages.warmup'"):
        resolve_config("aigc-vqa", {"stages": {"warmup": {"epochs": 1, "lr": 1e-3}}})
    with pytest.raises(VqaError) as error:
        resolve_config("aigc-vqa", {"preset": "tiny", "stages": {"alignment": {"unfreeze_share": 1.5, "lr": 0}},
                                    "train": {"batch_size": 1}})
    assert "stages.alignment.unfreeze_share must be between 0 and 1" in str(error.value)
    assert "stages.alignment.lr must be a positive number" in str(error.value)
    assert "train.batch_size must be an integer >= 2" in str(error.value)
    with pytest.raises(VqaError, match="input.alignment_size is 64 but model.alignment.vision.image_size is 32"):
        resolve_config("aigc-vqa", {"preset": "tiny", "input": {"alignment_size": 64}})


def test_aesthetic_branch_can_be_dovers_convnext3d_scoring_every_token():
    config = resolve_config("aigc-vqa", {"preset": "tiny", "model": {"aesthetic": {"backbone": "convnext3d"}}})
    model = build_model("aigc-vqa", config)
    branch = model.branch("aesthetic")
    frames = torch.randn(2, 4, 3, 64, 64)  # (B, T, 3, S, S): 4 frames -> 2 time steps, 64 px -> 2 x 2 tokens
    with torch.no_grad():
        score_map = branch.score_map(frames.transpose(1, 2))
        scores = model({"aesthetic": frames}, ["a", "b"], branches=("aesthetic",))["aesthetic"]
    assert score_map.shape == (2, 2, 2, 2)
    assert torch.allclose(scores, score_map.flatten(1).mean(dim=1))
    assert branch.always_trainable() == list(branch.head.parameters())

    with pytest.raises(VqaError, match="input.aesthetic_frames is 3: ConvNeXt-3D's stem takes the frames in pairs"):
        resolve_config("aigc-vqa", {"model": {"aesthetic": {"backbone": "convnext3d"}},
                                    "input": {"aesthetic_frames": 3}})
    with pytest.raises(VqaError, match="model.aesthetic.backbone 'convnext': use efficientnet-lite or convnext3d"):
        build_model("aigc-vqa", resolve_config("aigc-vqa", {"preset": "tiny",
                                                            "model": {"aesthetic": {"backbone": "convnext"}}}))
