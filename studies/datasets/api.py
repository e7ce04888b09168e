"""JSON API for dataset versions, splits, exports and imports: validate, scope, one service call, serialise."""
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import UploadField, page_of, page_response, query_filters, upload_saved
from common.body_limits import body_limit
from moslab_science.datasets.ratios import SYNTAXES
from studies import selectors
from studies.datasets import selectors as dataset_selectors
from studies.datasets import services as dataset_services
from studies.datasets.exports import export_filename
from studies.datasets.imports import FORMATS, dataset_import
from studies.datasets.inputs import MAX_SEED, SPLIT_KINDS, import_options, split_spec_from_options
from studies.models import DatasetExport, DatasetSplit, DatasetVersion, Membership

Role = Membership.Role
STAFF_ROLES = (Role.COORDINATOR, Role.RESEARCHER)


def _study(request, study_id: int, *, write: bool = False):
    roles = [Role.COORDINATOR] if write else STAFF_ROLES
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=roles)


class SplitOutput(serializers.ModelSerializer):
    class Meta:
        model = DatasetSplit
        fields = ["id", "name", "spec", "seed", "summary"]


class VersionOutput(serializers.ModelSerializer):
    splits = SplitOutput(many=True, read_only=True)
    num_items = serializers.SerializerMethodField()

    class Meta:
        model = DatasetVersion
        fields = ["id", "number", "label", "computation", "derived_from", "method", "mode", "dimension", "parameters",
                  "scale_min", "scale_max", "num_items", "exclusions", "protocol_version", "content_hash",
                  "created_at", "splits"]

    def get_num_items(self, version: DatasetVersion) -> int:
        return len(version.items)


class VersionDetailOutput(VersionOutput):
    class Meta(VersionOutput.Meta):
        fields = [*VersionOutput.Meta.fields, "items"]


class SplitDetailOutput(SplitOutput):
    class Meta(SplitOutput.Meta):
        fields = [*SplitOutput.Meta.fields, "assignment"]


class ExportOutput(serializers.ModelSerializer):
    class Meta:
        model = DatasetExport
        fields = ["id", "version", "format", "split", "status", "progress", "attempt", "worker", "cancel_requested",
                  "error", "sha256", "size_bytes", "created_at", "started_at", "finished_at"]


class CompareOutput(serializers.Serializer):
    old = serializers.IntegerField()
    new = serializers.IntegerField()
    same_content = serializers.BooleanField()
    items_added = serializers.ListField(child=serializers.CharField())
    items_removed = serializers.ListField(child=serializers.CharField())
    mos_changed = serializers.ListField(child=serializers.DictField())
    splits_added = serializers.ListField(child=serializers.CharField())
    splits_removed = serializers.ListField(child=serializers.CharField())
    splits_changed = serializers.ListField(child=serializers.CharField())
    method_changed = serializers.DictField()
    scale_changed = serializers.BooleanField()


class VersionListApi(APIView):
    """The study's dataset versions (GET), or take a new one from the latest MOS (POST, coordinators)."""

    class VersionCreateInput(serializers.Serializer):
        label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        dimension = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                          help_text="The rating dimension to snapshot; blank: the single score.")

    class Filters(serializers.Serializer):
        dimension = serializers.CharField(required=False, max_length=40, allow_blank=True, allow_null=True,
                                          default=None,
                                          help_text="Only this rating dimension's versions; an empty value: the "
                                                    "single score's.")
        search = serializers.CharField(required=False, default="", max_length=200,
                                       help_text="Only the versions whose label contains this.")

    @extend_schema(parameters=[Filters], responses=page_of(VersionOutput))
    def get(self, request, study_id: int):
        versions = dataset_selectors.dataset_versions_for_study(study=_study(request, study_id),
                                                                **query_filters(request, self.Filters))
        return page_response(request, versions, VersionOutput)

    @extend_schema(request=VersionCreateInput, responses={201: VersionOutput})
    def post(self, request, study_id: int):
        data = self.VersionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = dataset_services.dataset_version_create(study=_study(request, study_id, write=True),
                                                          by=request.user, label=data.validated_data["label"],
                                                          dimension=data.validated_data["dimension"])
        return Response(VersionOutput(version).data, status=201)


class VersionDetailApi(APIView):
    """One version with its items snapshot and splits."""

    @extend_schema(responses=VersionDetailOutput)
    def get(self, request, study_id: int, version_id: int):
        version = dataset_selectors.dataset_version_get(study=_study(request, study_id), version_id=version_id)
        return Response(VersionDetailOutput(version).data)


class VersionCompareApi(APIView):
    """What changed from version `other_id` to version `version_id`."""

    @extend_schema(responses=CompareOutput)
    def get(self, request, study_id: int, version_id: int, other_id: int):
        study = _study(request, study_id)
        new = dataset_selectors.dataset_version_get(study=study, version_id=version_id)
        old = dataset_selectors.dataset_version_get(study=study, version_id=other_id)
        return Response(CompareOutput(dataset_services.dataset_version_compare(old=old, new=new)).data)


class SplitCreateApi(APIView):
    """Add a split: versions never change, so the answer is a new version with the same items and the split."""

    class SplitCreateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=SPLIT_KINDS)
        seed = serializers.IntegerField(min_value=0, max_value=MAX_SEED)
        ratios = serializers.CharField(required=False, allow_blank=True, default="train=7,val=1,test=2",
                                       help_text=f"{SYNTAXES}; blank for k-fold")
        repeats = serializers.IntegerField(min_value=1, max_value=100, required=False, default=1)
        folds = serializers.IntegerField(min_value=2, max_value=100, required=False, allow_null=True, default=None)
        group_by = serializers.CharField(required=False, allow_blank=True, default="source_content")
        stratify_by = serializers.CharField(required=False, allow_blank=True, default="")
        mos_quantiles = serializers.IntegerField(min_value=2, max_value=100, required=False, allow_null=True,
                                                 default=None)
        cross_column = serializers.CharField(required=False, allow_blank=True, default="")
        train_groups = serializers.CharField(required=False, allow_blank=True, default="", help_text="comma-separated")
        test_groups = serializers.CharField(required=False, allow_blank=True, default="", help_text="comma-separated")

    @extend_schema(request=SplitCreateInput, responses={201: VersionOutput})
    def post(self, request, study_id: int, version_id: int):
        data = self.SplitCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        study = _study(request, study_id, write=True)
        version = dataset_selectors.dataset_version_get(study=study, version_id=version_id)
        spec = split_spec_from_options(**data.validated_data)
        derived = dataset_services.dataset_split_create(version=version, spec=spec, by=request.user)
        return Response(VersionOutput(derived).data, status=201)


class SplitDetailApi(APIView):
    """One split with its assignment (item name -> part)."""

    @extend_schema(responses=SplitDetailOutput)
    def get(self, request, study_id: int, version_id: int, split_id: int):
        version = dataset_selectors.dataset_version_get(study=_study(request, study_id), version_id=version_id)
        return Response(SplitDetailOutput(dataset_selectors.dataset_split_get(version=version, split_id=split_id)).data)


class ExportListApi(APIView):
    """The study's exports (GET), or start one of a version (POST, coordinators); a Celery worker fills it in."""

    class ExportCreateInput(serializers.Serializer):
        version_id = serializers.IntegerField()
        format = serializers.ChoiceField(choices=DatasetExport.Format.choices)
        split_id = serializers.IntegerField(required=False, allow_null=True, default=None)

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=DatasetExport.Status.choices, required=False, allow_blank=True,
                                         default="")
        export_format = serializers.ChoiceField(choices=DatasetExport.Format.choices, required=False,
                                                allow_blank=True, default="",
                                                help_text="Only exports in this format (`?format=` is DRF's own).")
        version_id = serializers.IntegerField(required=False, min_value=1, allow_null=True, default=None,
                                              help_text="Only this version's exports.")

    @extend_schema(parameters=[Filters], responses=page_of(ExportOutput))
    def get(self, request, study_id: int):
        exports = dataset_selectors.dataset_exports_for_study(study=_study(request, study_id),
                                                              **query_filters(request, self.Filters))
        return page_response(request, exports, ExportOutput)

    @extend_schema(request=ExportCreateInput, responses={201: ExportOutput})
    def post(self, request, study_id: int):
        data = self.ExportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        version = dataset_selectors.dataset_version_get(study=_study(request, study_id, write=True),
                                                        version_id=values["version_id"])
        split = dataset_selectors.dataset_split_get(version=version, split_id=values["split_id"]) \
            if values["split_id"] else None
        export = dataset_services.dataset_export_start(version=version, export_format=values["format"],
                                                       split=split, by=request.user)
        return Response(ExportOutput(export).data, status=201)


class ExportDetailApi(APIView):
    """An export's status and progress (read the row, not the queue)."""

    @extend_schema(responses=ExportOutput)
    def get(self, request, study_id: int, export_id: int):
        return Response(ExportOutput(dataset_selectors.dataset_export_get(study=_study(request, study_id),
                                                                          export_id=export_id)).data)


class ExportCancelApi(APIView):
    """Cancel an export (coordinators): a queued one at once, a running one at its next step; it ends "cancelled"."""

    @extend_schema(request=None, responses=ExportOutput)
    def post(self, request, study_id: int, export_id: int):
        export = dataset_selectors.dataset_export_get(study=_study(request, study_id, write=True), export_id=export_id)
        return Response(ExportOutput(dataset_services.dataset_export_cancel(export=export, by=request.user)).data)


class ExportDownloadApi(APIView):
    """The export's file, streamed."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, study_id: int, export_id: int):
        export = dataset_selectors.dataset_export_get(study=_study(request, study_id), export_id=export_id)
        if export.status != DatasetExport.Status.SUCCEEDED:
            raise Http404("This export has no file yet.")
        response = FileResponse(export.file.open("rb"), as_attachment=True, filename=export_filename(export))
        response["X-Content-SHA256"] = export.sha256
        return response


class ImportOutput(serializers.Serializer):
    study_id = serializers.IntegerField(source="study.pk")
    created = serializers.BooleanField()
    stimuli = serializers.IntegerField()
    with_media = serializers.IntegerField()
    votes = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())


@body_limit(settings.MOSLAB_MAX_UPLOAD_BYTES)
class DatasetImportApi(APIView):
    """Import a public dataset as a new study (staff only; multipart upload), all or nothing."""

    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser]

    class DatasetImportInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80)
        source_format = serializers.ChoiceField(choices=FORMATS)
        table = UploadField()
        images = UploadField(required=False, allow_null=True, default=None)
        scale_min = serializers.FloatField(required=False, allow_null=True, default=None)
        scale_max = serializers.FloatField(required=False, allow_null=True, default=None)
        name_column = serializers.CharField(required=False, default="")
        mos_column = serializers.CharField(required=False, default="")
        std_column = serializers.CharField(required=False, default="")
        count_column = serializers.CharField(required=False, default="")
        source_content_column = serializers.CharField(required=False, default="")
        group_columns = serializers.CharField(required=False, default="", help_text="comma-separated")
        split_column = serializers.CharField(required=False, default="")
        stimulus_column = serializers.CharField(required=False, default="")
        subject_column = serializers.CharField(required=False, default="")
        score_column = serializers.CharField(required=False, default="")
        split_map = serializers.CharField(required=False, default="", help_text="e.g. 0=train,1=val,2=test")
        question_id = serializers.CharField(required=False, default="", help_text="suJSON: the question to import")

    @extend_schema(request={"multipart/form-data": DatasetImportInput},
                   responses={201: ImportOutput, 200: ImportOutput})
    def post(self, request):
        data = self.DatasetImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        table, images = values.pop("table"), values.pop("images")
        scale = (values.pop("scale_min"), values.pop("scale_max"))
        common = {key: values.pop(key) for key in ("name", "slug", "source_format")}
        options = import_options(source_format=common["source_format"], **values)
        with tempfile.TemporaryDirectory() as folder:
            table_path = upload_saved(table, Path(folder) / Path(table.name).name)
            images_path = upload_saved(images, Path(folder) / "images.zip") if images else None
            report = dataset_import(**common, by=request.user, source=table_path, images=images_path,
                                    scale=scale if None not in scale else None, options=options)
        return Response(ImportOutput(report).data, status=201 if report.created else 200)
