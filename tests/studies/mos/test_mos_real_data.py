"""Published MOS of ISRGen-QA (raw votes) and KonIQ-10k (vote histograms) from ../shared/data."""

import csv

import numpy as np
import pytest
from mos_shared_data import RAW_RATINGS, require_shared
from scipy import stats

from moslab_science.mos import compute_mos, read_histogram_csv, read_long_csv

pytestmark = pytest.mark.shared_data


def _published(path, key_column: str) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row[key_column]: row for row in csv.DictReader(handle)}


def test_isrgen_plain_mean_reproduces_the_published_mos() -> None:
    folder = RAW_RATINGS / "isrgen-qa"
    matrix = read_long_csv(require_shared(folder / "raw_ratings_long.csv"), scale=(1, 5), stimulus_column="image")
    published = _published(require_shared(folder / "mos.csv"), "image")
    result = compute_mos(matrix, "mean")
    given = np.array([float(published[i]["mos_given"]) for i in matrix.stimulus_ids])
    counts = np.array([int(published[i]["n_ratings"]) for i in matrix.stimulus_ids])
    np.testing.assert_allclose(result.mos, given, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(result.n, counts)
    assert set(matrix.stimulus_ids) == set(published)


def test_isrgen_published_std_is_the_population_std_rounded_to_four_places() -> None:
    folder = RAW_RATINGS / "isrgen-qa"
    matrix = read_long_csv(require_shared(folder / "raw_ratings_long.csv"), scale=(1, 5), stimulus_column="image")
    published = _published(require_shared(folder / "mos.csv"), "image")
    result = compute_mos(matrix, "mean")
    population_std = result.std * np.sqrt((result.n - 1) / result.n)
    given = np.array([float(published[i]["std"]) for i in matrix.stimulus_ids])
    np.testing.assert_allclose(population_std, given, rtol=0, atol=0.5e-4 + 1e-12)


def test_koniq_histograms_give_the_published_sd_and_vote_counts() -> None:
    path = require_shared(RAW_RATINGS / "koniq10k-distributions" / "koniq10k_distributions_sets.csv")
    histograms = read_histogram_csv(path)
    published = _published(path, "image_name")
    sd = np.array([float(published[i]["SD"]) for i in histograms.stimulus_ids])
    totals = np.array([float(published[i]["c_total"]) for i in histograms.stimulus_ids])
    np.testing.assert_allclose(histograms.std, sd, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(histograms.n, totals)


def test_koniq_published_mos_is_the_histogram_mos_up_to_the_authors_normalisation() -> None:
    # KonIQ-10k's 1..100 MOS comes from per-worker normalised votes, which the histograms do not
    # keep: no function of a histogram reproduces it (docs/mos.md). It must still order the
    # images as the 1..5 histogram MOS does, and map onto it by a line with a positive slope.
    path = require_shared(RAW_RATINGS / "koniq10k-distributions" / "koniq10k_distributions_sets.csv")
    histograms = read_histogram_csv(path)
    published = _published(path, "image_name")
    mos_100 = np.array([float(published[i]["MOS"]) for i in histograms.stimulus_ids])
    assert np.all((histograms.mos >= 1) & (histograms.mos <= 5))
    assert stats.spearmanr(histograms.mos, mos_100).statistic > 0.99
    assert stats.linregress(histograms.mos, mos_100).slope > 0
