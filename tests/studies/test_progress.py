"""Progress lines with the time left, on the command line and on the export page."""
from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from moslab_science.progress import eta_reporter, seconds_left
from studies.templatetags.dataset_tags import time_left


def test_seconds_left_follows_the_rate_so_far():
    assert seconds_left(fraction=0.25, elapsed=10) == 30
    assert seconds_left(fraction=0, elapsed=10) is None
    assert seconds_left(fraction=1, elapsed=10) is None


def test_the_command_line_reporter_prints_rate_and_time_left_then_the_total():
    lines = []
    report = eta_reporter("checking images", lines.append, every=0)
    report(0, 4)
    report(1, 4)
    report(4, 4)
    assert lines[0].startswith("checking images: 0/4 (0%)") and lines[0].endswith("starting")
    assert lines[1].startswith("checking images: 1/4 (25%)") and lines[1].endswith("s left")
    assert lines[2].startswith("checking images: 4/4 (100%)") and " done in " in lines[2]


def test_the_reporter_writes_at_most_every_few_seconds_but_always_the_end():
    lines = []
    report = eta_reporter("storing images", lines.append, every=3600)
    for done in range(1, 101):
        report(done, 100)
    assert len(lines) == 2 and lines[-1].startswith("storing images: 100/100")


def test_the_export_page_shows_the_time_left_of_a_running_export():
    running = SimpleNamespace(progress=0.5, started_at=timezone.now() - timedelta(seconds=20))
    text = time_left(running)
    assert text.startswith("about ") and text.endswith(" s left") and 19 <= int(text.split()[1]) <= 21
    assert time_left(SimpleNamespace(progress=0.5, started_at=None)) == ""
