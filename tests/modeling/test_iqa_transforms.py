"""Crops at native resolution, the schedules, and HyperIQA's structure against the official code's shapes."""
import numpy as np
import pytest
import torch

from moslab_science.iqa import build_model, resolve_config
from moslab_science.iqa.architectures.hyperiqa import HyperIqa
from moslab_science.iqa.optim import cosine_with_warmup, hyperiqa_head_factor, make_optimizer, make_scheduler
from moslab_science.iqa.transforms import eval_views, random_crop
from tests.modeling import iqa_fixtures  # noqa: F401  (one torch thread)

INPUTS = resolve_config("hyperiqa")["input"]


def labelled(height: int, width: int) -> np.ndarray:
    """Pixels whose red channel holds the row and green the column, so a crop tells where it came from."""
    rows, columns = np.mgrid[0:height, 0:width]
    return np.stack([rows, columns, np.zeros_like(rows)], axis=2).astype(np.uint8)


def test_grid_views_cover_the_corners_and_centre():
    pixels = labelled(100, 120)
    views = eval_views(pixels, {**INPUTS, "eval_crop": 40, "eval_patches": 9, "eval_sampling": "grid"}, None)
    corners = {(int(view[0, 0, 0]), int(view[0, 0, 1])) for view in views}
    assert len(views) == 9 and all(view.shape == (40, 40, 3) for view in views)
    assert {(0, 0), (0, 80), (60, 0), (60, 80), (30, 40)} <= corners


def test_whole_image_is_one_view_when_no_crop_is_set():
    pixels = labelled(30, 50)
    (view,) = eval_views(pixels, {**INPUTS, "eval_crop": None}, None)
    assert view.shape == (30, 50, 3)


def test_random_views_depend_on_the_generator_seed_only():
    pixels = labelled(100, 100)
    inputs = {**INPUTS, "eval_crop": 32, "eval_patches": 5, "eval_sampling": "random"}
    first = eval_views(pixels, inputs, np.random.default_rng(3))
    again = eval_views(pixels, inputs, np.random.default_rng(3))
    other = eval_views(pixels, inputs, np.random.default_rng(4))
    assert all((a == b).all() for a, b in zip(first, again, strict=True))
    assert any((a != b).any() for a, b in zip(first, other, strict=True))
    crop = random_crop(pixels, 32, np.random.default_rng(0))
    assert crop.shape == (32, 32, 3)


def test_cosine_schedule_warms_up_then_decays_to_zero():
    factors = [cosine_with_warmup(step, warmup=4, total=20) for step in range(21)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4] == 1.0 and factors[12] == pytest.approx(0.5) and factors[20] == pytest.approx(0.0)
    assert all(a >= b for a, b in zip(factors[4:], factors[5:], strict=False))


def test_hyperiqa_schedule_follows_the_official_solver():
    """Official: after epoch t the hyper rate is 2e-5 / 10^(t // 6) x (10 while t <= 8, else 1)."""
    lr, ratio = 2e-5, 10
    for epoch in range(16):
        finished = epoch - 1
        official = lr * ratio if epoch == 0 else lr / 10 ** (finished // 6) * (ratio if finished <= 8 else 1)
        assert lr * ratio * hyperiqa_head_factor(epoch, ratio) == pytest.approx(official)


def test_hyperiqa_paper_configuration_has_the_official_shapes():
    model = build_model("hyperiqa", {**resolve_config("hyperiqa"), "pretrained": False})
    state = model.state_dict()
    assert state["res.lda1_fc.weight"].shape == (16, 16 * 64)
    assert state["res.lda4_fc.weight"].shape == (224 - 16 * 3, 2048)
    assert state["fc1w_conv.weight"].shape == (224 * 112 // 49, 112, 3, 3)
    assert state["fc5w_fc.weight"].shape == (14, 112)
    assert "res.layer4.2.conv3.weight" in state and "res.fc.weight" not in state
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 3, 224, 224)).shape == (2,)


def test_hyperiqa_target_network_gives_each_image_its_own_weights():
    torch.manual_seed(0)
    model = HyperIqa(patch=64, lda_out=4, hyper_in=16, target_in=32, target_fc=(16, 8, 8, 4), layers=(1, 1, 1, 1),
                     base_width=8).eval()
    images = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        together = model(images)
        alone = torch.stack([model(images[i : i + 1])[0] for i in range(3)])
    assert torch.allclose(together, alone, atol=1e-5)


def test_five_point_views_are_the_corners_and_the_centre():
    pixels = labelled(100, 120)
    views = eval_views(pixels, {**INPUTS, "eval_crop": 40, "eval_sampling": "five"}, None)
    assert [(int(v[0, 0, 0]), int(v[0, 0, 1])) for v in views] == [(0, 0), (0, 80), (60, 0), (60, 80), (30, 40)]


def test_maniqa_schedule_is_a_cosine_with_a_period_of_twice_t_max():
    """The official loop steps CosineAnnealingLR(T_max=50) every batch, so the rate keeps oscillating."""
    config = resolve_config("maniqa")
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=config["optim"]["lr"])
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)
    ours_optimizer = make_optimizer({"backbone": [torch.nn.Parameter(torch.zeros(1))], "head": []}, config["optim"])
    ours = make_scheduler(ours_optimizer, config["schedule"], head_lr_ratio=1.0, steps_per_epoch=10, epochs=30)
    for _ in range(120):
        assert ours_optimizer.param_groups[0]["lr"] == pytest.approx(optimizer.param_groups[0]["lr"], abs=1e-12)
        optimizer.step()
        reference.step()
        ours_optimizer.step()
        ours.step()


def test_maniqa_paper_configuration_has_the_official_shapes():
    state = build_model("maniqa", {**resolve_config("maniqa"), "pretrained": False}).state_dict()
    expected = {
        "vit.pos_embed": (1, 785, 768),
        "vit.blocks.11.attn.qkv.weight": (2304, 768),
        "tablock1.1.c_q.weight": (784, 784),
        "conv1.weight": (768, 3072, 1, 1),
        "swintransformer1.layers.0.blocks.1.attn.relative_position_bias_table": (49, 4),
        "swintransformer1.layers.1.blocks.0.mlp.fc1.weight": (768, 768),
        "swintransformer1.downsample.weight": (768, 768, 3, 3),
        "conv2.weight": (384, 768, 1, 1),
        "swintransformer2.layers.1.conv.weight": (384, 384, 3, 3),
        "fc_score.3.weight": (1, 384),
        "fc_weight.3.weight": (1, 384),
    }
    assert {key: tuple(state[key].shape) for key in expected} == expected
    assert "swintransformer1.layers.0.blocks.1.attn_mask" in state  # shifted blocks only
    assert "swintransformer1.layers.0.blocks.0.attn_mask" not in state
