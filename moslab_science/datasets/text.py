"""Text from a stream, whatever it is: a text stream, or bytes in UTF-8 (with or without BOM) or UTF-16."""

from typing import IO

from moslab_science.datasets.records import DatasetError

BOM = "\ufeff"


def text_of(stream: IO) -> str:
    """The whole stream as text, without a leading byte-order mark."""
    data = stream.read()
    if isinstance(data, bytes):
        data = _decode(data)
    return data[1:] if data.startswith(BOM) else data


def _decode(data: bytes) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"the file is not {encoding.upper()} text (bad byte at position {error.start}); save it as UTF-8."
        ) from None
