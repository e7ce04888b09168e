"""A study's rating protocol (the current version and the history; publish a new version) and its training,
qualification and gold images (list; add from JSON rows, all or nothing, as the CSV of `manage.py quality_items`)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import selectors
from annotation.models import QualityItem
from annotation.protocol_services import protocol_current, protocol_publish
from annotation.quality_services import quality_items_add_records
from common.api import page_of, page_response, query_filters
from moslab_science.rating.protocol import DEFAULTS, SCALES
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


class StudySettingsOutput(serializers.Serializer):
    scale = serializers.CharField(help_text="acr5 or slider100: the study's scale (the study owns it).")
    scale_min = serializers.FloatField()
    scale_max = serializers.FloatField()
    raters_per_stimulus = serializers.IntegerField()


class ProtocolCurrentOutput(serializers.Serializer):
    version = ProtocolVersionOutput(allow_null=True, help_text="The latest published version; null: none yet.")
    settings = serializers.DictField(help_text="Every protocol setting in force (the version's over the "
                                              "defaults): a complete config, which may be published again as it is.")
    study = StudySettingsOutput(help_text="The study's own settings, published with `scale` and "
                                          "`raters_per_stimulus` beside `config`.")


def _settings_of(record) -> dict:
    """The config in force: the version's over the defaults (the study's scale and raters are not config)."""
    config = record.config if record is not None else {}
    return {key: {**default, **config.get(key, {})} if isinstance(default, dict) else config.get(key, default)
            for key, default in DEFAULTS.items()}


def _study_settings(study: Study) -> dict:
    scale = next((name for name, ends in SCALES.items() if ends == (study.scale_min, study.scale_max)), "")
    return {"scale": scale, "scale_min": study.scale_min, "scale_max": study.scale_max,
            "raters_per_stimulus": study.raters_per_stimulus}


class ProtocolCurrentApi(APIView):
    """The protocol in force: the latest published version, or the defaults when none was published."""

    @extend_schema(responses=ProtocolCurrentOutput)
    def get(self, request, study_id: int):
        study = _study(request, study_id, STAFF)
        record, _ = protocol_current(study=study)
        return Response(ProtocolCurrentOutput({"version": record, "settings": _settings_of(record),
                                               "study": _study_settings(study)}).data)


class ProtocolVersionListApi(APIView):
    """Every published protocol version, newest first (GET); publish a new version (POST, coordinators): earlier
    versions stay, and votes keep pointing at theirs."""

    class PublishInput(serializers.Serializer):
        config = serializers.DictField(help_text="The settings (docs/annotation.md); those left out keep their "
                                                 "defaults. Unknown settings are refused.")
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                     help_text="What changed (kept with the version).")
        scale = serializers.ChoiceField(choices=sorted(SCALES), required=False,
                                        help_text="The study's scale, saved with the version (not once it has votes).")
        raters_per_stimulus = serializers.IntegerField(min_value=1, max_value=50, required=False,
                                                       help_text="The study's raters per stimulus.")

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
