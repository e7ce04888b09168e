"""T2VQA labels: one text-to-video clip per line, ``<path>|<prompt>|<mos>``.

Published shape (QMME/T2VQA ``dataset/dataset.py``, for T2VQA-DB): no header; ``T2VDataset`` does
``filename, prompt, label = line.strip().split("|")``, joins ``filename`` to ``data_prefix``, feeds
``prompt`` to its text encoder and trains on ``float(label)``. T2VQA-DB's MOS are on 0..100. A
DOVER-style comma line has no ``|`` and fails that reader, hence this separate format.
"""

from collections.abc import Sequence
from typing import IO

from moslab_science.datasets.records import DatasetError, DatasetItem, name_examples
from moslab_science.datasets.text import text_of


def write_t2vqa_labels(items: Sequence[DatasetItem], stream: IO[str]) -> None:
    """One line per item (sorted by name); every item needs its prompt, and no ``|`` or line break anywhere."""
    unsafe = [item.name for item in items
              if any(c in item.file + item.prompt for c in "|\r\n") or item.file != item.file.strip()]
    if unsafe:
        raise DatasetError(f"{len(unsafe)} item(s) cannot be written to T2VQA labels (a '|' or a line break in the "
                           f"path or prompt): {name_examples(unsafe)}; rename the stimuli or edit the prompts.")
    no_prompt = [item.name for item in items if not item.prompt.strip()]
    if no_prompt:
        raise DatasetError(f"{len(no_prompt)} item(s) have no text prompt, which T2VQA reads: "
                           f"{name_examples(no_prompt)}; import them with a prompt column in the manifest.")
    for item in sorted(items, key=lambda item: item.name):
        stream.write(f"{item.file}|{item.prompt.strip()}|{item.mos!r}\n")


def read_t2vqa_labels(stream: IO) -> list[tuple[str, str, float]]:
    """(path, prompt, MOS) per line, parsed as T2VQA does."""
    labels, bad = [], []
    for number, line in enumerate(text_of(stream).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            filename, prompt, label = line.strip().split("|")
            labels.append((filename, prompt, float(label)))
        except ValueError:
            bad.append(f"line {number}")
    if bad:
        raise DatasetError(f"{len(bad)} line(s) are not '<path>|<prompt>|<mos>': {name_examples(bad)}.")
    return labels
