"""A large staff import holds less memory per byte of its file: reading a 500,000-vote long-ratings CSV (14 MiB, the
read step of `dataset import`) stays under a bound on peak memory, measured in a fresh process (ru_maxrss), with no
Django and no database. Before the CSV reader kept its rows compact it grew by 402 MiB; docs/benchmarks.md."""
from pathlib import Path

from bench.bench_import_memory import grown_mib, write_ratings

REPO = Path(__file__).resolve().parents[3]
VOTES, BOUND_MIB = 500_000, 300


def test_reading_a_500000_vote_table_stays_under_the_memory_bound(tmp_path):
    table = write_ratings(tmp_path / "ratings.csv", VOTES)
    votes, stimuli, grown, _ = grown_mib(REPO, table)
    assert (votes, stimuli) == (VOTES, 20000)
    assert grown < BOUND_MIB, f"reading {table.stat().st_size >> 20} MiB took {grown} MiB"
