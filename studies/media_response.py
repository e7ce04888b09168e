"""Serving a stored stimulus file with HTTP Range support (RFC 9110 single byte ranges).

Browsers fetch MP4 and WebM in ranges to start playing before the whole file arrives and to seek;
Safari refuses to play an MP4 whose server ignores them. One range per request is honoured (what
media elements ask for); a multi-range request gets the whole file, which RFC 9110 allows.
"""
import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CONTENT_TYPES = {
    "mp4": "video/mp4", "webm": "video/webm", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "bmp": "image/bmp", "tiff": "image/tiff",
}


class UnsatisfiableRange(ValueError):
    """The range asks for bytes the file does not have: answer 416."""


def content_type_of(media_format: str) -> str:
    return CONTENT_TYPES.get(media_format.lower(), "application/octet-stream")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions, inclusive, that `header` asks for; None to send the whole file."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None:
        return None  # not a single byte range (several ranges, other units): ignored, the whole file is sent
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise UnsatisfiableRange(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise UnsatisfiableRange(header)
    return start, end


def _chunks(handle, start: int, length: int):
    try:
        handle.seek(start)
        while length > 0:
            data = handle.read(min(CHUNK_BYTES, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()


def media_response(field_file, *, content_type: str, range_header: str | None) -> HttpResponse:
    """The stored bytes, whole (200) or the range asked for (206); 416 for a range past the end."""
    size = field_file.size
    try:
        byte_range = parse_range(range_header, size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if byte_range is None:
            response = FileResponse(field_file.open("rb"), content_type=content_type)
        else:
            start, end = byte_range
            response = StreamingHttpResponse(_chunks(field_file.open("rb"), start, end - start + 1),
                                             status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response
