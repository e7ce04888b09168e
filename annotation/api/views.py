from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import selectors, services
from studies import selectors as study_selectors
from studies.models import Membership


def _study(request, study_id: int):
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR])


class QueueApi(APIView):
    """The annotator's phase, break, progress and next two tasks (the second to prefetch)."""

    def get(self, request, study_id: int):
        _, state = services.session_next(study=_study(request, study_id), user=request.user)
        return Response(state)


class RatingSubmitApi(APIView):
    """Submit one vote for an assigned task; replaying the same client_id stores nothing new.

    The answer carries the next state, so one round trip stores the vote and brings the next task.
    """

    class Input(serializers.Serializer):
        task_id = serializers.IntegerField()
        client_id = serializers.UUIDField()
        score = serializers.FloatField()
        response_time_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False, allow_null=True)
        deductions = serializers.DictField(child=serializers.CharField(max_length=40), required=False, allow_null=True)
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        display = serializers.DictField(required=False, allow_null=True)

    class Output(serializers.Serializer):
        task_id = serializers.IntegerField()
        rating_id = serializers.IntegerField()
        created = serializers.BooleanField()
        feedback = serializers.DictField(allow_null=True)

    def post(self, request, study_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        study = _study(request, study_id)
        task = selectors.task_get_for_user(study=study, user=request.user, task_id=values["task_id"])
        display = values.get("display") or {}
        if len(str(display)) > 2000:
            display = {"truncated": str(display)[:2000]}
        result = services.rating_submit(
            task=task, user=request.user, score=values["score"], client_id=values["client_id"],
            response_time_ms=values.get("response_time_ms"), deductions=values.get("deductions"),
            reason=values["reason"], display=display,
        )
        _, state = services.session_next(study=study, user=request.user)
        return Response({**self.Output(result).data, "state": state}, status=201 if result.created else 200)
