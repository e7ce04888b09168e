"""Admin pages for datasets: imports through a form, versions, splits and exports read-only.

Apps built on dataset versions add a link to the version page with ``version_link_add`` (modeling adds
"Launch a benchmark on this version"); studies never imports them, and nobody replaces this admin.
"""
import tempfile
from collections.abc import Callable
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join

from common.body_limits import body_limit
from common.errors import DomainError
from studies.datasets.imports import FORMATS, dataset_import
from studies.datasets.inputs import IMPORT_OPTION_FIELDS, import_options
from studies.models import DatasetExport, DatasetImport, DatasetSplit, DatasetVersion


class DatasetImportForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80)
    source_format = forms.ChoiceField(choices=[(value, value.replace("_", " ")) for value in FORMATS])
    table = forms.FileField(help_text="The MOS table, histograms, long ratings, suJSON file, or the export bundle zip.")
    images = forms.FileField(required=False, help_text="A zip of the images; empty for a ratings-only dataset.")
    scale_min = forms.FloatField(required=False, help_text="The rating scale, e.g. 1 and 5 (0 and 1 for BIQ2021).")
    scale_max = forms.FloatField(required=False)
    name_column = forms.CharField(required=False, help_text="MOS table: the stimulus column (default image).")
    mos_column = forms.CharField(required=False, help_text="MOS table: the MOS column (default mos).")
    std_column = forms.CharField(required=False)
    count_column = forms.CharField(required=False)
    source_content_column = forms.CharField(required=False)
    group_columns = forms.CharField(required=False, help_text="MOS table: group columns, comma-separated.")
    split_column = forms.CharField(required=False, help_text="MOS table: an official split column.")
    stimulus_column = forms.CharField(required=False, help_text="Long ratings: the stimulus column (default image).")
    subject_column = forms.CharField(required=False, help_text="Long ratings: the subject column (default subject).")
    score_column = forms.CharField(required=False, help_text="Long ratings: the score column (default score).")
    split_map = forms.CharField(required=False, help_text="Rename the official split's values, e.g. "
                                                          "0=train,1=val,2=test.")
    question_id = forms.CharField(required=False, help_text="suJSON: the question whose scores to import.")

    def clean(self):
        data = super().clean()
        if (data.get("scale_min") is None) != (data.get("scale_max") is None):
            raise forms.ValidationError("Give both ends of the scale, or neither.")
        return data


@admin.register(DatasetImport)
class DatasetImportAdmin(admin.ModelAdmin):
    """Adding an import opens the import form; an import, once made, is read-only."""

    list_display = ["study", "source_format", "source_name", "num_votes", "created_by", "created_at"]
    readonly_fields = ["study", "source_format", "options", "source_name", "num_votes", "content_hash",
                       "created_by", "created_at"]
    exclude = ["splits"]

    def has_change_permission(self, request, obj=None):
        return False

    @body_limit(settings.MOSLAB_MAX_UPLOAD_BYTES)
    def add_view(self, request, form_url="", extra_context=None):
        form = DatasetImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            scale = (data["scale_min"], data["scale_max"]) if data["scale_min"] is not None else None
            with tempfile.TemporaryDirectory() as folder:
                table = _saved(data["table"], Path(folder) / Path(data["table"].name).name)
                images = _saved(data["images"], Path(folder) / "images.zip") if data["images"] else None
                try:
                    options = import_options(source_format=data["source_format"],
                                             **{key: data[key] for key in IMPORT_OPTION_FIELDS})
                    report = dataset_import(name=data["name"], slug=data["slug"], by=request.user,
                                            source_format=data["source_format"], source=table, images=images,
                                            scale=scale, options=options)
                except DomainError as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    for warning in report.warnings:
                        self.message_user(request, warning, messages.WARNING)
                    done = "Imported" if report.created else "Already imported, nothing changed:"
                    self.message_user(request, f"{done} {report.stimuli} stimuli ({report.with_media} with images) "
                                      f"and {report.votes} votes into {report.study}.", messages.SUCCESS)
                    return redirect(reverse("admin:studies_study_change", args=[report.study.pk]))
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import a dataset",
                   "opts": self.model._meta}
        return render(request, "admin/studies/dataset_import.html", context)


def _saved(upload, destination: Path) -> Path:
    with destination.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return destination


class ReadOnlyAdmin(admin.ModelAdmin):
    """Versions and exports are records: made by services, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DatasetSplitInline(admin.TabularInline):
    model = DatasetSplit
    fields = ["name", "seed", "spec", "summary"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


VersionLink = Callable[[DatasetVersion], tuple[str, str]]  # a version -> (url, text)
_version_links: list[VersionLink] = []


def version_link_add(link: VersionLink) -> None:
    """Show ``link(version)`` on every dataset version's admin page (once, however often it is added)."""
    if link not in _version_links:
        _version_links.append(link)


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ["study", "number", "label", "dimension", "method", "content_hash", "created_by", "created_at"]
    list_filter = ["study", "method"]
    exclude = ["items"]
    readonly_fields = ["study", "number", "label", "dimension", "computation", "derived_from", "method", "mode",
                       "parameters",
                       "scale_min", "scale_max", "exclusions", "protocol_version", "protocol_config",
                       "content_hash", "created_by", "created_at"]
    inlines = [DatasetSplitInline]

    def get_readonly_fields(self, request, obj=None):
        return ["links", *self.readonly_fields] if _version_links and obj is not None else self.readonly_fields

    @admin.display(description="Next steps")
    def links(self, obj):
        return format_html_join("", '<p><a href="{}">{}</a></p>', (link(obj) for link in _version_links))


@admin.register(DatasetExport)
class DatasetExportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "version", "format", "status", "progress", "size_bytes", "created_at"]
    list_filter = ["status", "format"]
    readonly_fields = ["version", "format", "split", "status", "progress", "requested_by", "started_at",
                       "finished_at", "error", "file", "sha256", "size_bytes"]
