"""Studies (list, create, read, open or close) and their members (list, add by username, remove)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import page_of, page_response, query_filters
from studies import selectors, services
from studies.models import Membership, Study

Role = Membership.Role


def _coordinated(request, study_id: int) -> Study:
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])


class StudyOutput(serializers.Serializer):
    id = serializers.IntegerField(source="study.pk")
    name = serializers.CharField(source="study.name")
    slug = serializers.CharField(source="study.slug")
    description = serializers.CharField(source="study.description")
    status = serializers.ChoiceField(source="study.status", choices=Study.Status.choices)
    origin = serializers.CharField(source="study.origin")
    scale_min = serializers.FloatField(source="study.scale_min")
    scale_max = serializers.FloatField(source="study.scale_max")
    raters_per_stimulus = serializers.IntegerField(source="study.raters_per_stimulus")
    created_at = serializers.DateTimeField(source="study.created_at")
    roles = serializers.ListField(child=serializers.CharField(), help_text="Your roles in the study.")


def _study_row(study: Study, user) -> dict:
    return {"study": study, "roles": sorted(selectors.study_roles(study=study, user=user))}


class StudyListApi(APIView):
    """The studies in which you (or the token's user) hold a role, by name (GET); make a study (POST, staff and
    study creators): its maker becomes its first coordinator."""

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=Study.Status.choices, required=False, allow_blank=True, default="")
        role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="",
                                       help_text="Only the studies where you hold this role.")
        search = serializers.CharField(required=False, default="", max_length=200,
                                       help_text="Only the studies whose name or slug contains this.")

    class StudyCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
        scale_min = serializers.FloatField(required=False, default=1)
        scale_max = serializers.FloatField(required=False, default=5)
        raters_per_stimulus = serializers.IntegerField(min_value=1, max_value=50, required=False, default=5)

        def validate(self, values):
            if values["scale_max"] <= values["scale_min"]:
                raise serializers.ValidationError({"scale_max": "The top of the scale must be above its bottom."})
            return values

    @extend_schema(parameters=[Filters], responses=page_of(StudyOutput))
    def get(self, request):
        filters = query_filters(request, self.Filters)
        rows = [{"study": study, "roles": roles}
                for study, roles in selectors.studies_for_user(user=request.user, **filters)]
        return page_response(request, rows, StudyOutput)

    @extend_schema(request=StudyCreateInput, responses={201: StudyOutput})
    def post(self, request):
        if not selectors.may_create_studies(request.user):
            raise PermissionDenied("Only staff and the group of study creators make studies; ask an administrator.")
        data = self.StudyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        study = services.study_create(created_by=request.user, **data.validated_data)
        return Response(StudyOutput(_study_row(study, request.user)).data, status=201)


class StudyDetailApi(APIView):
    """One study you hold a role in, with your roles."""

    @extend_schema(responses=StudyOutput)
    def get(self, request, study_id: int):
        study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=Role.values)
        return Response(StudyOutput(_study_row(study, request.user)).data)


class StudyStatusApi(APIView):
    """Open the study for rating, close it, or take it back to draft (coordinators); imported studies stay closed."""

    class StatusInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=Study.Status.choices)

    @extend_schema(request=StatusInput, responses=StudyOutput)
    def post(self, request, study_id: int):
        study = _coordinated(request, study_id)
        data = self.StatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        study = services.study_status_set(study=study, status=data.validated_data["status"])
        return Response(StudyOutput(_study_row(study, request.user)).data)


class MemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "username", "role", "created_at"]


class MemberListApi(APIView):
    """Who holds which role in the study, by username (GET); give an account a role (POST). Coordinators only;
    giving a role held already changes nothing."""

    class Filters(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="")
        search = serializers.CharField(required=False, default="", max_length=150,
                                       help_text="Only the members whose username contains this.")

    class MemberAddInput(serializers.Serializer):
        username = serializers.CharField(max_length=254, help_text="The account's username, or its e-mail.")
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(parameters=[Filters], responses=page_of(MemberOutput))
    def get(self, request, study_id: int):
        study = _coordinated(request, study_id)
        filters = query_filters(request, self.Filters)
        return page_response(request, selectors.memberships_for_study(study=study, **filters), MemberOutput)

    @extend_schema(request=MemberAddInput, responses={201: MemberOutput})
    def post(self, request, study_id: int):
        study = _coordinated(request, study_id)
        data = self.MemberAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = selectors.user_get_by_identifier(identifier=data.validated_data["username"])
        membership = services.membership_add(study=study, user=user, role=data.validated_data["role"])
        return Response(MemberOutput(membership).data, status=201)


class MemberDetailApi(APIView):
    """Take one role from a member (coordinators); the member's votes stay, and the last coordinator stays."""

    @extend_schema(responses={204: None})
    def delete(self, request, study_id: int, membership_id: int):
        membership = selectors.membership_get(study=_coordinated(request, study_id), membership_id=membership_id)
        services.membership_remove(membership=membership)
        return Response(status=204)
