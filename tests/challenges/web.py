"""Helpers of the page and API tests: a challenge with scored entries, and a leak check on response bodies."""
import io
import zipfile

from challenges import services
from challenges.submission_services import submission_mark_final, submission_score_run, submission_submit

from .conftest import NUM_ITEMS, hidden_pairs, names_of, phase, predictions_csv, std_of

SHEET = {"method": "Swin-T regressor with a rank loss", "parameters_m": 28.3, "input_size": "224x224",
         "gflops": 4.5, "ensemble": False, "extra_data": True, "code_url": "https://example.org/code"}


def built_bundle(challenge):
    bundle = services.bundle_build(bundle_id=services.bundle_refresh(challenge=challenge, enqueue=False).pk)
    assert bundle.status == "succeeded", bundle.error
    return bundle


def scored_entries(challenge, team_users, coordinator):
    """Alpha (exact) and Beta (noisy) each: a scored development submission and a final test entry; a baseline
    on each phase. Returns {(team, kind): submission}."""
    entries = {}
    for user, noise in zip(team_users, (0.0, 0.9), strict=True):
        for kind, part in (("development", "val"), ("test", "test")):
            submission = submission_submit(phase=phase(challenge, kind), by=user, filename=f"{kind}.csv",
                                           content=predictions_csv(part, noise=noise))
            submission = submission_score_run(submission_id=submission.pk)
            assert submission.status == "succeeded", submission.error
            if kind == "test":
                submission_mark_final(submission=submission, by=user, fact_sheet=SHEET)
            entries[(submission.team.name, kind)] = submission
    for kind, part in (("development", "val"), ("test", "test")):
        services.baseline_add(phase=phase(challenge, kind), label="NIQE", by=coordinator,
                              scores={name: float(len(name) + i % 3) + i / 7 for i, name in
                                      enumerate(names_of(part))})
    return entries


def mos_spellings(mos: float) -> set[str]:
    """The ways a page, a CSV, JSON or a plot could write a MOS value."""
    return {repr(mos), f"{mos:.6f}", f"{mos:.5f}", f"{mos:.4f}", str(float(f"{mos:.7g}")), f"{mos:.6g}",
            format(mos, ".8g")}


def leaks(text: str, parts=("val", "test")) -> list[str]:
    """Hidden MOS of `parts` (in every spelling above) and any std found in `text`."""
    hidden = {name: mos for name, mos in hidden_pairs().items() if name in {n for p in parts for n in names_of(p)}}
    found = [f"{name}: MOS {spelling}" for name, mos in hidden.items() for spelling in mos_spellings(mos)
             if spelling in text]
    stds = [repr(std_of(index)) for index in range(NUM_ITEMS)]
    return found + [f"std {std}" for std in stds if len(std) >= 8 and std in text]  # not 0.4: CSS has that


def body_text(response) -> str:
    """A response body as text; a zip is opened and every member read (bytes as latin-1, so images count too)."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:4] == b"PK\x03\x04":
        archive = zipfile.ZipFile(io.BytesIO(data))
        return "\n".join(archive.read(member).decode("latin-1") for member in archive.namelist())
    return data.decode("utf-8", errors="replace")
