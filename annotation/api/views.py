from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import selectors, services
from studies import selectors as study_selectors
from studies.models import Membership


class RatingSubmitApi(APIView):
    """Submit one vote for an assigned task; replaying the same client_id stores nothing new."""

    class Input(serializers.Serializer):
        task_id = serializers.IntegerField()
        client_id = serializers.UUIDField()
        score = serializers.FloatField()
        response_time_ms = serializers.IntegerField(min_value=0, required=False, allow_null=True)

    class Output(serializers.Serializer):
        task_id = serializers.IntegerField()
        rating_id = serializers.IntegerField()
        created = serializers.BooleanField()

    def post(self, request, study_id: int):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        study = study_selectors.study_get_for_user(
            study_id=study_id, user=request.user, roles=[Membership.Role.ANNOTATOR]
        )
        task = selectors.task_get_for_user(study=study, user=request.user, task_id=data.validated_data["task_id"])
        result = services.rating_submit(
            task=task, user=request.user, score=data.validated_data["score"],
            client_id=data.validated_data["client_id"],
            response_time_ms=data.validated_data.get("response_time_ms"),
        )
        return Response(self.Output(result).data, status=201 if result.created else 200)
