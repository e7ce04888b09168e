"""Writers (and readers, written from each format's published description) for the tools the field uses."""

from moslab_science.datasets.formats.deqa import DeqaEntry, read_deqa_json, write_deqa_json
from moslab_science.datasets.formats.dover import read_dover_labels, write_dover_labels
from moslab_science.datasets.formats.levels import LEVELS
from moslab_science.datasets.formats.pyiqa import PyiqaMeta, read_pyiqa_meta, write_pyiqa_meta
from moslab_science.datasets.formats.qalign import QAlignEntry, read_qalign_json, write_qalign_json
from moslab_science.datasets.formats.sujson import read_sujson, write_sujson
from moslab_science.datasets.formats.t2vqa import read_t2vqa_labels, write_t2vqa_labels

__all__ = [
    "LEVELS",
    "DeqaEntry",
    "PyiqaMeta",
    "QAlignEntry",
    "read_deqa_json",
    "read_dover_labels",
    "read_pyiqa_meta",
    "read_qalign_json",
    "read_sujson",
    "read_t2vqa_labels",
    "write_deqa_json",
    "write_dover_labels",
    "write_pyiqa_meta",
    "write_qalign_json",
    "write_sujson",
    "write_t2vqa_labels",
]
