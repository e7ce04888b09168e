from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import session_services, voting_services
from annotation.api.serializers import QueueStateOutput, RatingInput, RatingOutput
from studies import selectors as study_selectors
from studies.models import Membership


def _study(request, study_id: int):
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR])


class QueueApi(APIView):
    """The annotator's phase, break, progress and next two tasks (the second to prefetch)."""

    @extend_schema(responses=QueueStateOutput)
    def get(self, request, study_id: int):
        _, state = session_services.session_next(study=_study(request, study_id), user=request.user)
        return Response(state)


class RatingSubmitApi(APIView):
    """Submit one vote for an assigned task; replaying the same client_id stores nothing new.

    The answer carries the next state, so one round trip stores the vote and brings the next task.
    """

    @extend_schema(request=RatingInput, responses={201: RatingOutput, 200: RatingOutput})
    def post(self, request, study_id: int):
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        display = values.get("display") or {}
        if len(str(display)) > 2000:
            display = {"truncated": str(display)[:2000]}
        result = voting_services.rating_submit_for_annotator(
            study_id=study_id, task_id=values["task_id"], user=request.user, score=values.get("score"),
            scores=values.get("scores"), client_id=values["client_id"], response_time_ms=values.get("response_time_ms"),
            deductions=values.get("deductions"), reason=values["reason"], display=display,
        )
        _, state = session_services.session_next(study=result.study, user=request.user, enrolment=result.enrolment,
                                                 protocol=result.protocol)
        body = {"task_id": result.task_id, "rating_id": result.rating_id, "rating_ids": result.rating_ids,
                "created": result.created,
                "feedback": result.feedback, "state": state}
        return Response(body, status=201 if result.created else 200)
