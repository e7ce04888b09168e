"""The vendored plotly.js is the file recorded in static/vendor/README.md, and the pages load that file."""
import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLOTLY = REPO / "static" / "vendor" / "plotly" / "plotly-4.1.2.min.js"
PLOTLY_SHA256 = "2f645d1bade8182fce161b7f10f89402f8b315805250ff4a94672a28d23c390a"


def test_vendored_plotly_matches_its_recorded_hash_and_licence():
    assert hashlib.sha256(PLOTLY.read_bytes()).hexdigest() == PLOTLY_SHA256
    assert PLOTLY.read_text(encoding="utf-8")[:200].count("plotly.js v4.1.2") == 1
    assert "MIT License" in (PLOTLY.parent / "LICENSE").read_text()
    readme = (REPO / "static" / "vendor" / "README.md").read_text()
    assert PLOTLY_SHA256 in readme and "4.1.2" in readme


def test_dashboard_pages_load_the_vendored_file_and_nothing_remote():
    scripts = (REPO / "templates" / "modeling" / "_scripts.html").read_text()
    assert f"vendor/plotly/{PLOTLY.name}" in scripts
    assert "http" not in scripts
