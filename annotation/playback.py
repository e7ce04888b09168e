"""Video votes: was the clip played through before it was rated? Plain Python over the page's display record.

The rating page records the play-through in the vote's display JSON (`played_through`, `played_seconds`,
`replays`, `seeks_blocked`). A client could lie; the check documents intent and keeps honest clients
(and programs posting without playing) from storing a vote for an unseen clip.
"""
import math

PLAYED_SHARE = 0.9  # of the probed duration: the browser's reported duration can be a frame or so shorter


def playthrough_problem(display: dict | None, *, duration_seconds: float | None) -> str | None:
    """Why a vote for a video cannot be stored (the clip was not played through once); None when it can."""
    display = display or {}
    played = display.get("played_seconds")
    if display.get("played_through") is not True:
        return "Play the clip through once before rating it (the vote does not say it was played through)."
    if not isinstance(played, int | float) or isinstance(played, bool) or not math.isfinite(played) or played < 0:
        return "Play the clip through once before rating it (the vote does not say how long it was watched)."
    if duration_seconds and played < PLAYED_SHARE * duration_seconds:
        return (f"Play the clip through once before rating it ({played:.1f} s of {duration_seconds:.1f} s "
                "were watched).")
    return None
