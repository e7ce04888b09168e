"""Peak memory of reading a large long-ratings CSV, the read step of a staff `dataset import`, in a fresh process.

    python bench/bench_import_memory.py [--votes 500000] [--peer /path/to/another/checkout]

Prints the file size and how much the process grew (ru_maxrss) while reading it, for this checkout and, with
--peer, for another checkout read in the same run (e.g. the commit before a change). No Django, no database.
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READ = """
import resource, sys, time
from pathlib import Path
from moslab_science.datasets.readers import read_long_ratings
start, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time()
with Path(sys.argv[1]).open(encoding="utf-8-sig", newline="") as stream:
    data = read_long_ratings(stream, stimulus="image", subject="subject", score="score", scale=(1, 5))
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) / 1024
print(len(data.votes), len(data.items), round(grown), round(time.process_time() - cpu, 2))
"""


def write_ratings(path: Path, votes: int) -> Path:
    """`votes` rows of image,subject,score: 20,000 images, 25 votes each per 500,000."""
    with path.open("w") as handle:
        handle.write("image,subject,score\n")
        for index in range(votes):
            handle.write(f"img_{index % 20000:06d}.png,subject_{index // 20000:04d},{index * 7 % 5 + 1}\n")
    return path


def grown_mib(checkout: Path, table: Path) -> tuple[int, int, int, float]:
    """(votes, stimuli, MiB the process grew while reading, CPU seconds) with `checkout`'s code."""
    answer = subprocess.run([sys.executable, "-c", READ, str(table)], cwd=checkout, capture_output=True, text=True,
                            check=True, env={**os.environ, "PYTHONPATH": str(checkout)})
    votes, items, grown, cpu = answer.stdout.split()
    return int(votes), int(items), int(grown), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=500_000)
    parser.add_argument("--peer", type=Path, help="another checkout, read in the same run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        table = write_ratings(Path(folder) / "ratings.csv", args.votes)
        size = table.stat().st_size / 2**20
        print(f"load average {os.getloadavg()[0]:.2f}; table {size:.1f} MiB, {args.votes} votes")
        for label, checkout in (("this checkout", REPO), ("peer", args.peer)):
            if checkout is not None:
                votes, items, grown, cpu = grown_mib(checkout, table)
                print(f"{label:14} {checkout}: grew {grown} MiB ({grown / size:.1f} x the file), "
                      f"{votes} votes, {items} stimuli, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
