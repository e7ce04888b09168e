"""Datasets as plain Python (no Django): records, seeded splits, the dataset table, hashing and imports.

The Django side (versions, exports, imports into a study) builds on these; formats other tools
read are in :mod:`moslab_science.datasets.formats`. See docs/datasets.md.
"""

from moslab_science.datasets.formats.sujson import read_sujson
from moslab_science.datasets.hashing import canonical_json, content_hash
from moslab_science.datasets.readers import (
    ColumnMapping,
    ImportedDataset,
    read_histograms,
    read_long_ratings,
    read_mos_table,
)
from moslab_science.datasets.records import DatasetError, DatasetItem, RawVote
from moslab_science.datasets.splits import SplitSpec, make_splits, split_names, split_parts, split_summary
from moslab_science.datasets.table import TABLE_COLUMNS, read_table, table_rows, write_csv, write_json, write_parquet
from moslab_science.datasets.votes import VoteStats, vote_statistics

__all__ = [
    "TABLE_COLUMNS",
    "ColumnMapping",
    "DatasetError",
    "DatasetItem",
    "ImportedDataset",
    "RawVote",
    "SplitSpec",
    "VoteStats",
    "canonical_json",
    "content_hash",
    "make_splits",
    "read_histograms",
    "read_long_ratings",
    "read_mos_table",
    "read_sujson",
    "read_table",
    "split_names",
    "split_parts",
    "split_summary",
    "table_rows",
    "vote_statistics",
    "write_csv",
    "write_json",
    "write_parquet",
]
