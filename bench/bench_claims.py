"""The block claim's ordering step at growing block sizes, and one whole claim at the largest block size.

The ordering (moslab_science.rating.ordering: `block_choice` over 25 candidates per place, then
`spread_order` of the block) runs under the study's lock, so its time is time other annotators wait.
Each size gets two items per source content (as many contents as can be), the hardest case for the
old feasibility check, which re-counted every content at every step (cubic). Then a whole
`queue_fill` at the protocol's largest block_size on a throwaway SQLite test database.

    python bench/bench_claims.py [--sizes 200,400,500,820,2000]

Peer: the same script on the commit before the change (its ordering part), see docs/benchmarks.md.
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moslab_science.rating.ordering import block_choice, spread_order  # noqa: E402


def ordering_seconds(size: int) -> tuple[float, float]:
    candidates = [(index, f"src{index % max(1, size // 2)}") for index in range(25 * size)]
    started = time.perf_counter()
    block = block_choice(candidates, size=size, group=lambda item: item[1])
    chosen = time.perf_counter()
    spread_order(block, group=lambda item: item[1], rng=random.Random(size))
    return chosen - started, time.perf_counter() - chosen


def whole_claim_seconds() -> tuple[int, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("MOSLAB_VAR_DIR", "/tmp/moslab-bench-claims")
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from annotation.assignment_services import queue_fill
    from moslab_science.rating.protocol import protocol_from_dict
    from moslab_science.rating.protocol_limits import WHOLE_LIMITS
    from studies import services as study_services
    from studies.models import Membership, Stimulus, Study

    setup_test_environment()
    databases = setup_databases(verbosity=0, interactive=False)
    try:
        size = WHOLE_LIMITS["block_size"][1]
        owner = get_user_model().objects.create_user("bench-coord")
        study = study_services.study_create(name="Claims", slug="claims", created_by=owner, raters_per_stimulus=1)
        Stimulus.objects.bulk_create([
            Stimulus(study=study, name=f"s{i}.png", file=f"x/{i}.png", sha256=str(i), size_bytes=1,
                     image_format="PNG", width=8, height=8, source_content=f"src{i % (size // 2)}")
            for i in range(20 * size)
        ])
        Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
        study.refresh_from_db()
        user = get_user_model().objects.create_user("bench-rater")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        protocol = protocol_from_dict({"block_size": size, "raters_per_stimulus": 1})
        started = time.perf_counter()
        claimed = queue_fill(study=study, user=user, protocol=protocol, rng=random.Random(1))
        return claimed, time.perf_counter() - started
    finally:
        teardown_databases(databases, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,400,500,820,2000")
    parser.add_argument("--no-claim", action="store_true", help="the ordering part only (e.g. on an old commit)")
    args = parser.parse_args()
    print("block size | block_choice s | spread_order s")
    for size in (int(value) for value in args.sizes.split(",")):
        choose, order = ordering_seconds(size)
        print(f"{size:10d} | {choose:14.4f} | {order:14.4f}", flush=True)
    if not args.no_claim:
        claimed, seconds = whole_claim_seconds()
        print(f"whole claim at the largest block size: {claimed} tasks in {seconds:.3f} s (SQLite, 10,000 images)")


if __name__ == "__main__":
    main()
