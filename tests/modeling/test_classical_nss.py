"""Natural-scene statistics, BRISQUE and NIQE on images with known distortions, and image reading."""

import numpy as np
import pytest
from PIL import Image
from scipy import stats
from scipy.special import gamma
from skimage import data, filters

from moslab_science.classical.brisque import Brisque, brisque_features
from moslab_science.classical.images import BaselineInputError, load_gray
from moslab_science.classical.niqe import NiqeModel
from moslab_science.classical.nss import fit_aggd, fit_ggd
from moslab_science.metrics import srcc


@pytest.mark.parametrize("shape", [0.8, 1.0, 2.0, 3.5])
def test_ggd_fit_recovers_the_shape_and_variance_of_samples(shape):
    samples = stats.gennorm.rvs(shape, scale=0.7, size=200_000, random_state=1)
    fitted_shape, variance = fit_ggd(samples)
    assert fitted_shape == pytest.approx(shape, rel=0.05)
    assert variance == pytest.approx(0.7**2 * gamma(3 / shape) / gamma(1 / shape), rel=0.03)  # the GGD's variance


def test_aggd_fit_recovers_shape_and_the_two_sides():
    rng = np.random.default_rng(2)
    magnitudes = np.abs(stats.gennorm.rvs(1.2, size=200_000, random_state=3))
    # An AGGD puts mass left/(left + right) on each side, so that its density is continuous at 0.
    samples = np.where(rng.random(200_000) < 0.25, -0.5 * magnitudes, 1.5 * magnitudes)
    shape, mean, left_variance, right_variance = fit_aggd(samples)
    assert shape == pytest.approx(1.2, rel=0.05)
    assert right_variance / left_variance == pytest.approx(9, rel=0.05)
    assert mean > 0  # heavier right side


def test_flat_images_have_no_statistics():
    with pytest.raises(BaselineInputError, match="flat"):
        brisque_features(np.full((64, 64), 128.0))


def photo_crops():
    """Eight 128x128 crops of a bundled photograph that is not in NIQE's pristine set."""
    gray = data.hubble_deep_field()[..., 1].astype(float)
    return [gray[top : top + 128, left : left + 128] for top in (0, 300, 600) for left in (0, 400, 800)][:8]


def test_brisque_svr_learns_blur_from_its_training_images():
    crops = photo_crops()
    sigmas = [0.0, 1.0, 2.0, 3.0]
    images = [filters.gaussian(crop, sigma=s, preserve_range=True) if s else crop for crop in crops for s in sigmas]
    quality = [5 - s for _ in crops for s in sigmas]
    model = Brisque(seed=0).fit(images[:20], quality[:20])
    predicted = [model.score(image) for image in images[20:]]
    assert srcc(predicted, quality[20:]) > 0.8


@pytest.mark.parametrize("contents", [3, 1])
def test_brisque_trains_on_fewer_source_contents_than_its_cv_folds(contents):
    """A small study (the demo trains on 3 photographs) still gets its SVR: the folds shrink to the contents."""
    crops = photo_crops()
    sigmas = [0.0, 1.0, 2.0, 3.0]
    images = [filters.gaussian(crop, sigma=s, preserve_range=True) if s else crop for crop in crops for s in sigmas]
    quality = [5 - s for _ in crops for s in sigmas]
    groups = [f"photo{index % contents}" for index in range(20)]
    model = Brisque(seed=0).fit(images[:20], quality[:20], groups=groups)
    assert srcc([model.score(image) for image in images[20:]], quality[20:]) > 0.8


def test_brisque_refuses_to_score_before_training():
    with pytest.raises(BaselineInputError, match="fit it on training images first"):
        Brisque().score(photo_crops()[0])


def test_niqe_rises_with_blur_and_with_noise():
    model = NiqeModel.bundled()
    gray = data.coins().astype(float)
    rng = np.random.default_rng(0)
    blurred = [model.score(filters.gaussian(gray, sigma=s, preserve_range=True)) for s in (0.5, 1.5, 3.0)]
    noisy = [model.score(np.clip(gray + rng.normal(0, s, gray.shape), 0, 255)) for s in (2, 15, 40)]
    assert blurred == sorted(blurred) and noisy == sorted(noisy)


def test_niqe_pristine_model_needs_enough_patches():
    with pytest.raises(BaselineInputError, match="sharp patches"):
        NiqeModel.fit([data.camera().astype(float)[:192, :192]], source="one crop")
    with pytest.raises(BaselineInputError, match="at least 96x96"):
        NiqeModel.bundled().score(np.zeros((50, 300)))


@pytest.mark.parametrize("mode", ["RGBA", "CMYK", "P", "LA"])
def test_images_of_other_modes_are_read_as_luma(tmp_path, mode):
    rgb = Image.fromarray(data.astronaut()[:64, :64])
    path = tmp_path / f"image-{mode}.{'jpg' if mode == 'CMYK' else 'png'}"
    rgb.convert(mode).save(path)
    gray = load_gray(path)
    assert gray.shape == (64, 64)
    expected = np.asarray(rgb.convert("L"), dtype=float)
    assert np.mean(np.abs(gray - expected)) < 12  # palette and JPEG-CMYK lose a little


def test_sixteen_bit_images_are_scaled_to_eight_bit_range(tmp_path):
    values = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    gray = load_gray(tmp_path / "deep.png")
    assert gray.max() == pytest.approx(255.0) and gray.min() == 0.0


def test_unreadable_missing_and_tiny_images_are_refused(tmp_path):
    with pytest.raises(BaselineInputError, match="not found"):
        load_gray(tmp_path / "absent.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(BaselineInputError, match="not a readable image"):
        load_gray(tmp_path / "broken.png")
    Image.fromarray(np.zeros((8, 40), dtype=np.uint8)).save(tmp_path / "tiny.png")
    with pytest.raises(BaselineInputError, match="40x8; at least 16 px"):
        load_gray(tmp_path / "tiny.png")
