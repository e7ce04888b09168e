"""The API's JSON parser: DRF's, with a bound on nesting so deep JSON answers 400 rather than a RecursionError."""
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 20  # the deepest body the API takes (a vote's display details) is 3 levels


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        refusal = f"The JSON is nested too deeply; at most {MAX_JSON_DEPTH} levels of objects and lists are taken."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(refusal) from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(refusal)
        return data


def json_depth(data: object) -> int:
    """How many objects and lists are nested in `data`, walked without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest
