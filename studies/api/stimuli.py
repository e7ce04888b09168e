"""A study's stimuli: list them (coordinators and researchers), upload a zip of images and videos (coordinators)."""
import tempfile
from pathlib import Path

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import UploadField, page_of, page_response, query_filters, upload_saved
from studies import selectors, services
from studies.media_response import content_type_of, media_response
from studies.models import Membership, Stimulus

Role = Membership.Role


class StimulusOutput(serializers.ModelSerializer):
    media_url = serializers.SerializerMethodField(help_text="The stored bytes (API, a token will do); null for a "
                                                            "stimulus of a ratings-only dataset.")

    class Meta:
        model = Stimulus
        fields = ["id", "name", "media_type", "image_format", "width", "height", "frame_count", "fps",
                  "duration_seconds", "codec", "variable_frame_rate", "sha256", "size_bytes", "source_content",
                  "groups", "reference", "prompt", "created_at", "media_url"]

    def get_media_url(self, stimulus: Stimulus) -> str | None:
        if not stimulus.file:
            return None
        return reverse("studies-api:stimulus-media", args=[stimulus.study_id, stimulus.pk])


class StimulusImportOutput(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField(), help_text="The names of the new stimuli.")
    unchanged = serializers.ListField(child=serializers.CharField(),
                                      help_text="Names uploaded before with the same bytes: nothing changed.")


class StimulusListApi(APIView):
    """The study's stimuli by name (GET, coordinators and researchers); upload a zip of images and .mp4/.webm
    videos with an optional manifest CSV (POST, coordinators, multipart): all or nothing, every problem listed,
    the same zip again changes nothing."""

    parser_classes = [MultiPartParser]

    class Filters(serializers.Serializer):
        search = serializers.CharField(required=False, default="", max_length=255,
                                       help_text="Only the stimuli whose name contains this.")
        media_type = serializers.ChoiceField(choices=Stimulus.MediaType.choices, required=False, allow_blank=True,
                                             default="")
        source_content = serializers.CharField(required=False, default="", max_length=255)

    class StimulusUploadInput(serializers.Serializer):
        archive = UploadField(help_text="A zip of images and/or .mp4/.webm videos; a manifest.csv at its root is "
                                        "read as the manifest.")
        manifest = UploadField(required=False, allow_null=True, default=None,
                               help_text="A CSV: file, source_content, reference, prompt, group_<label>.")

    @extend_schema(parameters=[Filters], responses=page_of(StimulusOutput))
    def get(self, request, study_id: int):
        study = selectors.study_get_for_user(study_id=study_id, user=request.user,
                                             roles=[Role.COORDINATOR, Role.RESEARCHER])
        return page_response(request, selectors.stimuli_for_study(study=study, **query_filters(request, self.Filters)),
                             StimulusOutput)

    @extend_schema(request={"multipart/form-data": StimulusUploadInput},
                   responses={201: StimulusImportOutput, 200: StimulusImportOutput})
    def post(self, request, study_id: int):
        study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
        data = self.StimulusUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        archive, manifest = data.validated_data["archive"], data.validated_data["manifest"]
        with tempfile.TemporaryDirectory() as folder:
            source = upload_saved(archive, Path(folder) / (Path(archive.name).name or "upload.zip"))
            manifest_path = upload_saved(manifest, Path(folder) / "manifest.csv") if manifest else None
            report = services.stimuli_import(study=study, source=source, manifest=manifest_path)
        return Response(StimulusImportOutput(report).data, status=201 if report.created else 200)


class StimulusMediaApi(APIView):
    """One stimulus's stored bytes exactly as uploaded, to members of the study (a `Range` header is honoured);
    404 for a stimulus of a ratings-only dataset."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, study_id: int, stimulus_id: int):
        study = selectors.study_get_for_user(study_id=study_id, user=request.user, roles=Role.values)
        stimulus = selectors.stimulus_get_for_user(study=study, stimulus_id=stimulus_id)
        if not stimulus.file:
            raise Http404("This stimulus has no media file: it comes from a ratings-only dataset.")
        return media_response(stimulus.file, content_type=content_type_of(stimulus.image_format),
                              range_header=request.headers.get("Range"))
