"""The bundle's datasheet (README.md) and its MOS histogram, from plain records: no Django."""
import io
import json
import statistics
from collections.abc import Sequence

from PIL import Image, ImageDraw

from moslab_science.datasets import DatasetItem

HISTOGRAM_BINS = 20


def datasheet_markdown(metadata: dict, items: Sequence[DatasetItem], *, num_ratings: int, num_raters: int) -> str:
    """Protocol, guideline, raters, screening, statistics, splits and files of one dataset version."""
    lo, hi = metadata["scale"]
    mos = [item.mos for item in items]
    with_media = sum(1 for item in items if item.file)
    lines = [
        f"# {metadata['study']}: dataset version {metadata['version']}",
        "",
        f"Content hash (SHA-256 of the items, scale and splits): `{metadata['content_hash']}`.",
        f"{len(items)} stimuli ({with_media} with their image or video under `images/`, original bytes), "
        f"MOS on the scale {lo:g} to {hi:g}"
        + (f", of the rating dimension `{metadata['dimension']}` (its votes only)." if metadata.get("dimension")
           else "."),
        "",
        "## Protocol and guideline",
        "",
    ]
    if metadata["protocol_version"] is None:
        lines.append("No rating protocol is recorded for this study (imported or collected before protocols).")
    else:
        lines += [f"Protocol version {metadata['protocol_version']}:", "", "```json",
                  json.dumps(metadata["protocol"], indent=2, sort_keys=True), "```"]
    lines += [
        "",
        "## Raters and screening",
        "",
        f"{num_ratings} ratings by {num_raters} raters are in `ratings.csv` (long form, rating history included; "
        "`current` marks the votes the MOS counts).",
        f"MOS method: `{metadata['method']}`" + (f", mode `{metadata['mode']}`" if metadata["mode"] else "")
        + (f", parameters `{json.dumps(metadata['parameters'], sort_keys=True)}`." if metadata["parameters"] else "."),
        "",
    ]
    exclusions = metadata["exclusions"]
    if exclusions:
        lines += ["| subject | rejected | by the method | override | reason |", "|---|---|---|---|---|"]
        lines += [f"| {row['subject']} | {row['rejected']} | {row['automatic_rejected']} | {row['override'] or '-'} | "
                  f"{_cell(row['reason'])} |" for row in exclusions]
    else:
        lines.append("No rater was rejected.")
    lines += ["", "## Statistics", "", "| | value |", "|---|---|", f"| stimuli | {len(mos)} |"]
    if mos:
        lines += [
            f"| MOS mean | {statistics.fmean(mos):.4f} |",
            f"| MOS standard deviation | {statistics.pstdev(mos):.4f} |",
            f"| MOS range | {min(mos):.4f} to {max(mos):.4f} |",
        ]
    for label, values in (("votes per stimulus, mean", [item.count for item in items]),
                          ("CI95 half-width, mean", [item.ci95 for item in items])):
        known = [value for value in values if value is not None]
        if known:
            lines.append(f"| {label} | {statistics.fmean(known):.4f} |")
    lines += ["", "![MOS histogram](plots/mos_histogram.png)", "", "## Splits", ""]
    if not metadata["splits"]:
        lines.append("None.")
    for split in metadata["splits"]:
        origin = f"seed {split['seed']}, spec `{json.dumps(split['spec'], sort_keys=True)}`" if split["spec"] \
            else "came with the data"
        parts = ", ".join(f"{part}: {summary['items']} stimuli, {summary['contents']} contents"
                          for part, summary in split["summary"]["parts"].items())
        lines.append(f"- `{split['name']}` ({origin}): {parts}")
    lines += [
        "",
        "## Files",
        "",
        "- `dataset.csv`: one row per stimulus (file, MOS, std, CI, count, group metadata, one column per split)",
        "- `ratings.csv`: the raw ratings in long form; `dataset.json`: this version's metadata",
        "- `checksums.sha256`: SHA-256 of every other file (`sha256sum -c checksums.sha256`)",
        "",
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def mos_histogram_png(values: Sequence[float], *, scale: tuple[float, float], size=(480, 240)) -> bytes:
    """A bar chart of the MOS distribution over the scale, drawn with Pillow."""
    lo, hi = scale
    counts = [0] * HISTOGRAM_BINS
    for value in values:
        index = int((value - lo) / (hi - lo) * HISTOGRAM_BINS)
        counts[min(max(index, 0), HISTOGRAM_BINS - 1)] += 1
    width, height = size
    margin, top = 30, max(counts) or 1
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    bar = (width - 2 * margin) / HISTOGRAM_BINS
    for index, count in enumerate(counts):
        x0 = margin + index * bar
        y0 = height - margin - (height - 2 * margin) * count / top
        draw.rectangle([x0 + 1, y0, x0 + bar - 1, height - margin], fill=(70, 110, 170))
    draw.line([margin, height - margin, width - margin, height - margin], fill="black")
    draw.text((margin, height - margin + 6), f"{lo:g}", fill="black")
    draw.text((width - margin - 20, height - margin + 6), f"{hi:g}", fill="black")
    draw.text((margin, 8), f"MOS histogram ({len(values)} stimuli, highest bar {top})", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
