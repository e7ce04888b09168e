"""Model rows read by SQL written once, for the queries every request makes (a vote, an image, the user).

Built by the ORM, a simple read costs 0.3-1 ms of Python, several times what the database takes to run it
(docs/benchmarks.md). These helpers give the column list of a model once, and turn a row back into the model
instance the ORM would build: values pass through the same converters the ORM uses.
"""
import functools

from django.db import connection
from django.db.models import Model


@functools.cache
def columns(model: type[Model], alias: str, names: tuple[str, ...] | None = None) -> tuple[str, list]:
    """`alias.column, ...` for the model's fields (all, or those named) and each field's (attname, converters)."""
    fields = [f for f in model._meta.concrete_fields if names is None or f.name in names or f.attname in names]
    loaders = []
    for field in fields:
        column = field.get_col(alias)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        loaders.append((field.attname, column, converters))
    sql = ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in fields)
    return sql, loaders


def instance(model: type[Model], loaders: list, values) -> Model:
    """The model instance for a row read with `columns(model, ...)`'s SQL (fields not read are deferred)."""
    converted = []
    for (_, column, converters), value in zip(loaders, values, strict=True):
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [attname for attname, _, _ in loaders], converted)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
