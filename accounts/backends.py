"""Sign-in by username and password: Django's ModelBackend, with the signed-in user read by SQL written once."""
from django.contrib.auth import backends, get_user_model
from django.db import connection

from common.rows import columns, instance, table


class ModelBackend(backends.ModelBackend):
    """Every request of a signed-in user loads that user (a rating round trip: twice). Django builds the query
    with the ORM each time, about 0.3 ms of Python against 0.07 ms for the same row read here
    (docs/benchmarks.md); the user and the checks (`user_can_authenticate`) are the same."""

    def get_user(self, user_id):
        model = get_user_model()
        fields_sql, loaders = columns(model, "u")
        key = model._meta.pk
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {fields_sql} FROM {table(model)} u WHERE u.{connection.ops.quote_name(key.column)}"
                           " = %s", [key.get_db_prep_value(key.to_python(user_id), connection)])
            row = cursor.fetchone()
        user = instance(model, loaders, row) if row is not None else None
        return user if user is not None and self.user_can_authenticate(user) else None
