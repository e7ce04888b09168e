"""A study's rating protocol (the current version and the history; publish a new version) and its training,
qualification and gold images (list; add from JSON rows, all or nothing, as the CSV of `manage.py quality_items`)."""
from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import selectors
from annotation.models import QualityItem
from annotation.quality_services import quality_items_add_records
from annotation.services import protocol_current, protocol_publish
from common.api import page_of, page_response, query_filters
from studies import selectors as study_selectors
from studies.models import Membership, Study, StudyProtocol

Role = Membership.Role


COORDINATORS = (Role.COORDINATOR,)
STAFF = (Role.COORDINATOR, Role.RESEARCHER)


def _study(request, study_id: int, roles: tuple[str, ...]) -> Study:
    return study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=roles)


class ProtocolVersionOutput(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = StudyProtocol
        fields = ["id", "version", "note", "created_by", "created_at", "config"]


class ProtocolCurrentOutput(serializers.Serializer):
    version = ProtocolVersionOutput(allow_null=True, help_text="The latest published version; null: none yet.")
    settings = serializers.DictField(help_text="Every setting in force (the version's over the defaults): a "
                                              "complete config, which may be published again as it is.")


class ProtocolCurrentApi(APIView):
    """The protocol in force: the latest published version, or the defaults when none was published."""

    @extend_schema(responses=ProtocolCurrentOutput)
    def get(self, request, study_id: int):
        record, protocol = protocol_current(study=_study(request, study_id, STAFF))
        return Response(ProtocolCurrentOutput({"version": record, "settings": asdict(protocol)}).data)


class ProtocolVersionListApi(APIView):
    """Every published protocol version, newest first (GET); publish a new version (POST, coordinators): earlier
    versions stay, and votes keep pointing at theirs."""

    class PublishInput(serializers.Serializer):
        config = serializers.DictField(help_text="The settings (docs/annotation.md); those left out keep their "
                                                 "defaults. Unknown settings are refused.")
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                     help_text="What changed (kept with the version).")

    @extend_schema(responses=page_of(ProtocolVersionOutput))
    def get(self, request, study_id: int):
        return page_response(request, selectors.protocol_versions(study=_study(request, study_id, STAFF)),
                             ProtocolVersionOutput)

    @extend_schema(request=PublishInput, responses={201: ProtocolVersionOutput})
    def post(self, request, study_id: int):
        study = _study(request, study_id, COORDINATORS)
        data = self.PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = protocol_publish(study=study, by=request.user, **data.validated_data)
        return Response(ProtocolVersionOutput(record).data, status=201)


class QualityItemOutput(serializers.ModelSerializer):
    stimulus_id = serializers.IntegerField(read_only=True)
    stimulus = serializers.CharField(source="stimulus.name", read_only=True)

    class Meta:
        model = QualityItem
        fields = ["id", "stimulus_id", "stimulus", "kind", "reference_score", "tolerance", "explanation",
                  "updated_at"]


class QualityItemInput(serializers.Serializer):
    file = serializers.CharField(max_length=255, help_text="An image name of the study.")
    kind = serializers.ChoiceField(choices=QualityItem.Kind.choices)
    reference_score = serializers.FloatField(help_text="On the study's scale.")
    tolerance = serializers.FloatField(min_value=0, required=False, default=1.0)
    explanation = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                        help_text="Shown after a training vote.")


class QualityItemsAddedOutput(serializers.Serializer):
    added = serializers.IntegerField(help_text="How many items were set (the same items again change nothing).")


class QualityItemListApi(APIView):
    """The study's training, qualification and gold images with their reference scores (GET); set some from
    rows (POST), all or nothing with every problem listed. Coordinators only: gold answers stay with them."""

    class Filters(serializers.Serializer):
        kind = serializers.ChoiceField(choices=QualityItem.Kind.choices, required=False, allow_blank=True,
                                       default="")

    class QualityItemsInput(serializers.Serializer):
        items = serializers.ListField(child=QualityItemInput(), min_length=1, max_length=10000)

    @extend_schema(parameters=[Filters], responses=page_of(QualityItemOutput))
    def get(self, request, study_id: int):
        study = _study(request, study_id, COORDINATORS)
        items = selectors.quality_items_for_study(study=study, **query_filters(request, self.Filters))
        return page_response(request, items, QualityItemOutput)

    @extend_schema(request=QualityItemsInput, responses={201: QualityItemsAddedOutput})
    def post(self, request, study_id: int):
        study = _study(request, study_id, COORDINATORS)
        data = self.QualityItemsInput(data=request.data)
        data.is_valid(raise_exception=True)
        added = quality_items_add_records(study=study, records=data.validated_data["items"])
        return Response(QualityItemsAddedOutput({"added": added}).data, status=201)
