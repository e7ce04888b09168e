"""Crowd studies (P.808-style): the platform ids a public link captures, the environment check, the return link.

Plain rules, no Django: the app's crowd wing stores what they accept and shows the problems they name.
"""
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from moslab_science.errors import DomainError, excerpt

#: Prolific's parameters; the first one named is always the participant id.
PROLIFIC_PARAMETERS = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")
#: Amazon Mechanical Turk's, for the docs and the settings form's help.
MTURK_PARAMETERS = ("workerId", "assignmentId", "hitId")
MAX_PARAMETERS = 6
PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
PARAMETER_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
CODE_PLACEHOLDER = "{code}"


def parameter_names_parse(text: str) -> tuple[str, ...]:
    """The URL parameter names a coordinator typed (comma or space separated), the participant id's first."""
    names = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", text.strip()) if part))
    if not names:
        raise DomainError("Name at least the participant id's parameter, such as PROLIFIC_PID or workerId.")
    if len(names) > MAX_PARAMETERS:
        raise DomainError(f"At most {MAX_PARAMETERS} parameters can be captured ({len(names)} given).")
    bad = [excerpt(name, 40) for name in names if not PARAMETER_NAME.match(name)]
    if bad:
        raise DomainError("A parameter name is letters, digits and underscores, starting with a letter; "
                          f"fix {', '.join(bad)}.")
    return names


def platform_ids_capture(query: dict[str, str], *, names: tuple[str, ...]) -> dict[str, str]:
    """The platform's ids from the link's query: the first name is required, the others kept when present."""
    problems = []
    captured = {}
    for index, name in enumerate(names):
        value = query.get(name, "")
        if not value:
            if index == 0:
                problems.append(f"the link lacks {name}, the participant id; open the study from the platform's page")
            continue
        if not PARAMETER_VALUE.match(value):
            problems.append(f"{name} must be 1 to 100 letters, digits or _ . : - (got {excerpt(value, 40)!r})")
            continue
        captured[name] = value
    if problems:
        raise DomainError("This study link is not complete.", problems=problems)
    return captured


def completion_url_check(template: str) -> str:
    """A completion redirect template: an http(s) address where `{code}`, if present, stands for the participant's
    completion code (without it, the address is used as it is: a platform's one completion code for the study)."""
    template = template.strip()
    if not template:
        return ""
    parts = urlsplit(template.replace(CODE_PLACEHOLDER, "CODE"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError("The completion address must start with https:// (or http://) and name a host, such as "
                          "https://app.prolific.com/submissions/complete?cc={code}.")
    if re.search(r"\{(?!code\})", template):
        raise DomainError("Only {code} may be filled in the completion address; remove the other braces.")
    return template


def completion_url(template: str, *, code: str) -> str:
    return template.replace(CODE_PLACEHOLDER, quote(code, safe="")) if template else ""


@dataclass(frozen=True)
class Environment:
    """What the participant's browser reports: CSS pixels and the device pixels per CSS pixel."""

    user_agent: str
    screen: tuple[int, int]
    window: tuple[int, int]
    device_pixel_ratio: float
    zoom: float

    def device_px(self, size: tuple[int, int]) -> tuple[int, int]:
        return round(size[0] * self.device_pixel_ratio), round(size[1] * self.device_pixel_ratio)

    def as_dict(self) -> dict:
        return {"user_agent": self.user_agent, "screen": list(self.screen), "window": list(self.window),
                "device_pixel_ratio": self.device_pixel_ratio, "zoom": self.zoom,
                "screen_device_px": list(self.device_px(self.screen)),
                "window_device_px": list(self.device_px(self.window))}


def environment_problems(environment: Environment, *, needed_px: tuple[int, int]) -> list[str]:
    """Why this browser cannot show the study's images at native size (one image pixel on one screen pixel).

    `needed_px` is the study's largest width and height. The screen must hold them; the window too (else the
    participant can enlarge it); the page must not be zoomed, which would scale every image.
    """
    problems = []
    if not environment.user_agent:
        problems.append("Your browser did not say what it is; use a current Chrome, Firefox, Edge or Safari.")
    width, height = needed_px
    screen_w, screen_h = environment.device_px(environment.screen)
    window_w, window_h = environment.device_px(environment.window)
    if abs(environment.zoom - 1) > 0.01:
        problems.append(f"The page is zoomed to {environment.zoom:.0%}; set the zoom to 100 % (Ctrl+0 or Cmd+0) "
                        "and check again.")
    if screen_w < width or screen_h < height:
        problems.append(f"Your screen shows {screen_w} x {screen_h} pixels, and this study's images need "
                        f"{width} x {height} at their native size. Please take part from a larger screen.")
    elif window_w < width or window_h < height:
        problems.append(f"Your browser window shows {window_w} x {window_h} pixels, and this study's images need "
                        f"{width} x {height}. Maximise the window (or press F11) and check again.")
    return problems
