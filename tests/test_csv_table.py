"""The one CSV reader: dataset imports and metric tables read a file the same way and refuse it the same way."""
import io

import pytest

from moslab_science.csv_table import read_csv
from moslab_science.datasets import ColumnMapping, DatasetError, read_mos_table
from moslab_science.metrics.errors import MetricsInputError
from moslab_science.metrics.tables import read_rows

TEXT = " image , mos ,note\n\na.png, 3.5 ,x\n,,\nb.png,4\n"
ROWS = [{"image": "a.png", "mos": "3.5", "note": "x"}, {"image": "b.png", "mos": "4", "note": ""}]


@pytest.mark.parametrize("encode", [lambda text: text.encode(), lambda text: b"\xef\xbb\xbf" + text.encode(),
                                    lambda text: text.encode("utf-16")])
def test_paths_and_streams_of_any_supported_encoding_give_the_same_rows(tmp_path, encode):
    path = tmp_path / "mos.csv"
    path.write_bytes(encode(TEXT))
    assert read_csv(path) == read_csv(io.BytesIO(encode(TEXT))) == (["image", "mos", "note"], ROWS)
    assert read_rows(path, required=("image", "mos")) == ROWS


def test_a_dataset_import_reads_the_file_the_metrics_read(tmp_path):
    path = tmp_path / "mos.csv"
    path.write_text(TEXT)
    with path.open("rb") as stream:
        dataset = read_mos_table(stream, ColumnMapping(name="image", mos="mos"), scale=(1, 5))
    rows = read_rows(path, required=("image", "mos"))
    assert [(item.name, item.mos) for item in dataset.items] == [(row["image"], float(row["mos"])) for row in rows]


@pytest.mark.parametrize(("data", "says"), [
    (b"", "mos.csv is empty: it needs a header row"),
    (b"image,mos\n\n", "mos.csv has a header (image,mos) but no data rows"),
    (b"name,score\na.png,1\n", "mos.csv: missing column(s) image, mos; the header is name,score"),
    (b"image,mos\n\xff\xfe\xfa,1\n", "mos.csv is not a CSV text file: not UTF-8 text (bad byte at position 10)"),
])
def test_bad_files_are_refused_with_the_callers_error_and_what_to_fix(tmp_path, data, says):
    path = tmp_path / "mos.csv"
    path.write_bytes(data)
    for error in (MetricsInputError, DatasetError):
        with pytest.raises(error) as refused:
            read_csv(path, required=("image", "mos"), error=error)
        assert says in str(refused.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(MetricsInputError, match="cannot read .*absent.csv: No such file"):
        read_rows(tmp_path / "absent.csv", required=("image",))
