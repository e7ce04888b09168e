"""Reading stimuli as 8-bit RGB, saying what was converted and refusing what cannot be used.

Grayscale and palette images are replicated to RGB; 16-bit images are scaled to 8 bits; CMYK is converted
(no colour management); images with transparency are composited over mid-grey, the background the rating
page shows them on. Damaged, truncated, multi-frame and over-large images are refused; a multi-picture JPEG
(MPO) is read as its first picture.
"""
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from moslab_science.ingest.images import ImageProblem, inspect_image
from moslab_science.iqa.errors import IqaError
from moslab_science.iqa.progress import Meter, Progress, ignore

MID_GREY = (128, 128, 128)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def read_rgb(path: Path) -> tuple[np.ndarray, str]:
    """HxWx3 uint8 pixels and the conversion applied ("" when none)."""
    try:
        with Image.open(path) as image:
            image.load()
            return _to_rgb(image)
    except FileNotFoundError:
        raise IqaError(f"image {path} does not exist") from None
    except OSError as error:
        raise IqaError(f"image {path} cannot be read ({error})") from None


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, str]:
    mode = image.mode
    if image.format == "MPO":
        return np.asarray(image.convert("RGB")), "first picture of a multi-picture JPEG (MPO)"
    if mode == "RGB":
        return np.asarray(image), ""
    if mode.startswith("I;16") or mode == "I":
        grey = np.asarray(image, dtype=np.float64) * (255.0 / 65535.0)
        return np.repeat(np.clip(grey.round(), 0, 255).astype(np.uint8)[:, :, None], 3, axis=2), "16-bit to 8-bit"
    if mode == "F":
        raise IqaError("32-bit floating-point images are not supported: export the image as 8- or 16-bit")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        background = Image.new("RGB", image.size, MID_GREY)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return np.asarray(background), "alpha composited over mid-grey"
    conversion = {"L": "grayscale to RGB", "1": "grayscale to RGB", "P": "palette to RGB", "CMYK": "CMYK to RGB"}
    return np.asarray(image.convert("RGB")), conversion.get(mode, f"{mode} to RGB")


@dataclass(frozen=True)
class Scan:
    """What the scan found: how many images each conversion touches, and each table name's file in the folder
    (another name only where it was matched ignoring case)."""

    conversions: Counter
    files: dict[str, str]

    def lines(self) -> list[str]:
        lines = [f"{count} image(s): {conversion}" for conversion, count in sorted(self.conversions.items())]
        renamed = [(name, file) for name, file in self.files.items() if name != file]
        if renamed:
            examples = ", ".join(f"{name} -> {file}" for name, file in renamed[:3])
            lines.append(f"warning: {len(renamed)} image(s) found only by ignoring case (data.ignore_case), "
                         f"e.g. {examples}")
        return lines


def scan_images(folder: Path, names: list[str], *, max_pixels: int, inputs: dict | None = None,
                train_names: frozenset[str] = frozenset(), ignore_case: bool = False,
                progress: Callable[[Progress], None] = ignore) -> Scan:
    """Check every image fully before a run starts: found, an accepted format (a multi-picture JPEG counts as its
    first picture), not over `max_pixels`, decodable, and (with `inputs`) at least as large as its crop:
    input.train_crop for `train_names`, input.eval_crop for the others, after input.resize. Raise IqaError
    listing every problem at once; else return the Scan."""
    problems, conversions, files = [], Counter(), {}
    listings: dict[Path, dict[str, list[str]]] = {}
    meter = Meter("scan", len(names), progress)
    for index, name in enumerate(names):
        file = _find(folder, name, ignore_case, listings, problems)
        if file is not None:
            problem, conversion = _check(folder / file, name, max_pixels, inputs, name in train_names)
            if problem:
                problems.append(f"{name}: {problem}")
            else:
                files[name] = file
                conversions[conversion] += bool(conversion)
        meter.advance(index + 1)
    if problems:
        raise IqaError(f"{len(problems)} of {len(names)} images cannot be used", problems=problems)
    return Scan(conversions=+conversions, files=files)


def _find(folder: Path, name: str, ignore_case: bool, listings: dict, problems: list[str]) -> str | None:
    """The file of `name` in `folder`: itself, or with `ignore_case` the one file whose name differs only in case."""
    if (folder / name).is_file():
        return name
    parent = (folder / name).parent
    if parent not in listings:
        listings[parent] = {}
        for path in parent.iterdir() if parent.is_dir() else ():
            listings[parent].setdefault(path.name.lower(), []).append(path.name)
    matches = listings[parent].get(Path(name).name.lower(), [])
    if not matches:
        problems.append(f"{name}: no such file in {folder}")
    elif not ignore_case:
        problems.append(f"{name}: no such file in {folder} ({', '.join(matches)} differs only in case: "
                        "set data.ignore_case = true to use it)")
    elif len(matches) > 1:
        problems.append(f"{name}: several files match it ignoring case ({', '.join(matches)}): rename them")
    else:
        return str(Path(name).parent / matches[0])
    return None


def _check(path: Path, name: str, max_pixels: int, inputs: dict | None, training: bool) -> tuple[str, str]:
    """(problem or "", conversion or "") of one image file."""
    try:
        inspect_image(path.read_bytes(), max_pixels=max_pixels, first_picture_of_mpo=True)
        pixels, conversion = read_rgb(path)
    except ImageProblem as problem:
        hint = " (raise data.max_pixels or downscale it)" if "pixels" in str(problem) else ""
        return f"{problem}{hint}", ""
    except IqaError as error:
        return str(error), ""
    if inputs is None:
        return "", conversion
    setting = "train_crop" if training else "eval_crop"
    crop, resized = inputs[setting], inputs["resize"]
    width, height = resized or (pixels.shape[1], pixels.shape[0])
    if crop and (width < crop or height < crop):
        size = f"{width}x{height}" + (" after input.resize" if resized else "")
        return (f"{size} is smaller than the {crop}-pixel crop (input.{setting}): leave the image out, use a "
                f"smaller input.{setting} or set input.resize"), ""
    return "", conversion


def list_images(folder: Path) -> list[str]:
    """Image files directly in `folder`, sorted (what `iqa predict` scores)."""
    if not folder.is_dir():
        raise IqaError(f"image folder {folder} does not exist")
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not names:
        raise IqaError(f"image folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return names
