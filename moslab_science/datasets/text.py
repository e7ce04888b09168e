"""Text from a stream, whatever it is: a text stream, or bytes in UTF-8 (with or without BOM) or UTF-16."""

from typing import IO

from moslab_science.csv_table import decode_text
from moslab_science.datasets.records import DatasetError


def text_of(stream: IO) -> str:
    """The whole stream as text, without a leading byte-order mark; DatasetError when it is not text."""
    return decode_text(stream.read(), error=DatasetError)
