"""The rating API is described in /api/schema/ with its request and answer, and the answer matches it."""
import uuid

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from annotation import enrolment_services
from annotation.api.serializers import ProgressOutput, QueueStateOutput, RatingOutput, TaskOutput
from tests.annotation.helpers import protocol_study

RATINGS = "/api/annotation/studies/{study_id}/ratings/"
QUEUE = "/api/annotation/studies/{study_id}/queue/"


def test_schema_describes_the_rating_api_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [message for message in {**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache}
                if "RatingSubmitApi" in message or "QueueApi" in message]
    assert warnings == []
    submit = schema["paths"][RATINGS]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    request_body = schema["components"]["schemas"][body]
    assert set(request_body["required"]) == {"task_id", "client_id"}, "score or scores, checked together"
    assert request_body["properties"]["scores"]["type"] == "object"
    assert request_body["properties"]["scores"]["additionalProperties"]["type"] == "number"
    assert {"200", "201"} <= set(submit["responses"])
    answer = submit["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "state" in schema["components"]["schemas"][answer]["properties"]
    assert "200" in schema["paths"][QUEUE]["get"]["responses"]


@pytest.mark.django_db
def test_the_answers_have_the_fields_the_schema_promises(client, coordinator, make_user, tmp_path):
    study, (user, *_) = protocol_study(coordinator=coordinator, make_user=make_user, folder=tmp_path / "i")
    enrolment_services.enrolment_accept_instructions(
        enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
    client.force_login(user)
    state = client.get(QUEUE.format(study_id=study.pk)).json()
    assert set(state) == set(QueueStateOutput().fields)
    assert set(state["tasks"][0]) == set(TaskOutput().fields)
    assert set(state["progress"]) == set(ProgressOutput().fields)
    body = {"task_id": state["tasks"][0]["id"], "client_id": str(uuid.uuid4()), "score": 5}
    answer = client.post(RATINGS.format(study_id=study.pk), body, content_type="application/json").json()
    assert set(answer) == set(RatingOutput().fields)
    assert set(answer["state"]["progress"]) == set(ProgressOutput().fields) - {"study_total", "open_to_you"}
