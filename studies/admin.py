import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse

from common.body_limits import body_limit
from common.errors import DomainError
from studies import selectors, services
from studies.datasets import admin as dataset_admin  # noqa: F401  (registers the dataset pages)
from studies.datasets import services as dataset_services
from studies.models import Membership, MosComputation, Rating, Stimulus, StimulusMos, Study


class StimulusImportForm(forms.Form):
    archive = forms.FileField(help_text="A zip of images and/or MP4 and WebM videos; a manifest.csv at its root is "
                                        "read as the manifest.")
    manifest = forms.FileField(
        required=False, help_text="Optional CSV: file, source_content, reference, prompt, group_<label>."
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "origin", "status", "scale_min", "scale_max", "raters_per_stimulus", "created_at"]
    list_filter = ["status", "origin"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["origin"]  # set by the service that made the study: an import, or collected here

    def get_readonly_fields(self, request, obj=None):
        """An imported study holds a public dataset and takes no ratings, so it cannot be opened either."""
        imported = obj is not None and obj.origin == Study.Origin.IMPORTED
        return [*self.readonly_fields, "status"] if imported else self.readonly_fields
    inlines = [MembershipInline]
    actions = ["import_stimuli", "take_dataset_version"]

    def get_urls(self):
        own = [
            path(
                "<int:study_id>/import-stimuli/",
                self.admin_site.admin_view(self.import_stimuli_view),
                name="studies_study_import_stimuli",
            )
        ]
        return own + super().get_urls()

    @admin.action(description="Import stimuli from a zip into the selected study")
    def import_stimuli(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one study to import into.", messages.ERROR)
            return None
        return redirect("admin:studies_study_import_stimuli", study_id=queryset.get().pk)

    @admin.action(description="Take a dataset version of each selected study (from its latest MOS; one per "
                              "rating dimension)")
    def take_dataset_version(self, request, queryset):
        for study in queryset:
            for dimension in [name for name, _ in selectors.study_dimensions(study=study)] or [""]:
                of = f" ({dimension})" if dimension else ""
                try:
                    version = dataset_services.dataset_version_create(study=study, by=request.user, label="admin",
                                                                      dimension=dimension)
                except DomainError as error:
                    self.message_user(request, f"{study}{of}: {error}", messages.ERROR)
                else:
                    self.message_user(request, f"{study}{of}: dataset version {version.number} "
                                      f"({version.content_hash[:12]})", messages.SUCCESS)

    @body_limit(settings.MOSLAB_MAX_UPLOAD_BYTES)
    def import_stimuli_view(self, request, study_id: int):
        study = get_object_or_404(Study, pk=study_id)
        if not self.has_change_permission(request, study):
            return redirect("admin:index")
        form = StimulusImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            with tempfile.TemporaryDirectory() as folder:
                archive = _saved(form.cleaned_data["archive"], Path(folder) / "upload.zip")
                manifest = form.cleaned_data["manifest"]
                manifest_path = _saved(manifest, Path(folder) / "manifest.csv") if manifest else None
                try:
                    report = services.stimuli_import(study=study, source=archive, manifest=manifest_path)
                except DomainError as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"Imported {len(report.created)} stimuli; {len(report.unchanged)} were already there.",
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:studies_stimulus_changelist") + f"?study__id__exact={study.pk}")
        context = {**self.admin_site.each_context(request), "form": form, "study": study, "title": "Import stimuli"}
        return render(request, "admin/studies/import_stimuli.html", context)


def _saved(upload, destination: Path) -> Path:
    with destination.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return destination


@admin.register(Stimulus)
class StimulusAdmin(admin.ModelAdmin):
    list_display = ["name", "study", "media_type", "width", "height", "image_format", "duration_seconds",
                    "source_content", "groups"]
    list_filter = ["study", "media_type", "image_format", "variable_frame_rate"]
    search_fields = ["name", "source_content", "sha256"]
    readonly_fields = ["file", "sha256", "size_bytes", "media_type", "image_format", "width", "height", "frame_count",
                       "fps", "duration_seconds", "codec", "variable_frame_rate"]
    raw_id_fields = ["reference"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "study", "role", "created_at"]
    list_filter = ["role", "study"]
    search_fields = ["user__username", "study__name"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Votes are evidence: read-only here."""

    list_display = ["stimulus", "rater", "dimension", "score", "response_time_ms", "created_at"]
    list_filter = ["study", "dimension"]
    search_fields = ["stimulus__name", "rater__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StimulusMosInline(admin.TabularInline):
    model = StimulusMos
    extra = 0
    readonly_fields = ["stimulus", "mos", "std", "ci95", "count"]
    can_delete = False


@admin.register(MosComputation)
class MosComputationAdmin(admin.ModelAdmin):
    list_display = ["pk", "study", "method", "dimension", "status", "num_ratings", "created_at", "finished_at"]
    list_filter = ["status", "method", "study"]
    readonly_fields = [
        "study", "method", "dimension", "parameters", "status", "requested_by", "started_at", "finished_at",
        "worker", "error", "warnings", "num_ratings",
    ]
    inlines = [StimulusMosInline]

    def has_add_permission(self, request):
        return False
