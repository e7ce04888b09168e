"""JSON API of studies: the studies the user asking has a role in, with those roles."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from studies import selectors


class StudyOutput(serializers.Serializer):
    id = serializers.IntegerField(source="study.pk")
    name = serializers.CharField(source="study.name")
    slug = serializers.CharField(source="study.slug")
    status = serializers.CharField(source="study.status")
    origin = serializers.CharField(source="study.origin")
    roles = serializers.ListField(child=serializers.CharField())


class StudyListApi(APIView):
    """Every study in which the user (or the token's user) holds a role; other studies are not listed."""

    @extend_schema(responses={200: StudyOutput(many=True)})
    def get(self, request):
        rows = [{"study": study, "roles": roles} for study, roles in selectors.studies_for_user(user=request.user)]
        return Response(StudyOutput(rows, many=True).data)
