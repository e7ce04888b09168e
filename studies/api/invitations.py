"""A study's invitation links (coordinators): list them, make one (its link is in the answer, once), revoke one."""
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import page_of, page_response, query_filters
from studies import selectors
from studies.models import Invitation, Membership
from studies.people import selectors as people_selectors
from studies.people import services as people_services

Role = Membership.Role
STATES = ["active", "revoked", "expired", "full"]


def _coordinated(request, study_id: int):
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])


class InvitationOutput(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    state = serializers.SerializerMethodField(help_text="active, revoked, expired or full (used up).")

    class Meta:
        model = Invitation
        fields = ["id", "role", "prefix", "note", "expires_at", "max_uses", "uses", "revoked_at", "created_by",
                  "created_at", "state"]

    def get_state(self, invitation: Invitation) -> str:
        return people_selectors.invitation_state(invitation)


class NewInvitationOutput(InvitationOutput):
    link = serializers.SerializerMethodField(help_text="The link to send; shown only in this answer.")

    class Meta(InvitationOutput.Meta):
        fields = [*InvitationOutput.Meta.fields, "link"]

    def get_link(self, invitation: Invitation) -> str:
        return self.context["link"]


class InvitationListApi(APIView):
    """The study's invitation links, newest first (GET, paged, `?state=`); make one (POST): whoever opens the link
    signs up or signs in and gets `role`, until it expires (`days`), is used `max_uses` times, or is revoked.
    The link itself is in the answer to the POST only; moslab keeps only its SHA-256. Coordinators only."""

    class Filters(serializers.Serializer):
        state = serializers.ChoiceField(choices=STATES, required=False, allow_blank=True, default="")

    class InvitationInput(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)
        days = serializers.IntegerField(min_value=1, max_value=people_services.MAX_INVITATION_DAYS, default=14)
        max_uses = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                            help_text="How many people may join through it; null: no cap.")
        note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(parameters=[Filters], responses=page_of(InvitationOutput))
    def get(self, request, study_id: int):
        study = _coordinated(request, study_id)
        filters = query_filters(request, self.Filters)
        return page_response(request, people_selectors.invitations_for_study(study=study, **filters),
                             InvitationOutput)

    @extend_schema(request=InvitationInput, responses={201: NewInvitationOutput})
    def post(self, request, study_id: int):
        study = _coordinated(request, study_id)
        data = self.InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        made = people_services.invitation_create(study=study, by=request.user, **data.validated_data)
        link = request.build_absolute_uri(reverse("studies:join", args=[made.secret]))
        return Response(NewInvitationOutput(made.invitation, context={"link": link}).data, status=201)


class InvitationDetailApi(APIView):
    """Revoke one link (coordinators): it stops at once; those who joined through it keep their role."""

    @extend_schema(request=None, responses=InvitationOutput)
    def delete(self, request, study_id: int, invitation_id: int):
        invitation = people_selectors.invitation_get(study=_coordinated(request, study_id),
                                                     invitation_id=invitation_id)
        return Response(InvitationOutput(people_services.invitation_revoke(invitation=invitation)).data)
