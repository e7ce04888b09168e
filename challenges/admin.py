"""Challenges in the admin: read-only; organisers work through the challenge pages and services."""
from django.contrib import admin

from challenges.models import Baseline, Challenge, FactSheet, Participant, ParticipantBundle, Phase, Submission, Team


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "version", "split", "is_public", "created_by", "created_at"]
    search_fields = ["title", "slug"]


@admin.register(Phase)
class PhaseAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "kind", "part", "opens_at", "closes_at", "max_per_day", "max_total",
                    "results_published_at"]


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "challenge", "created_by", "created_at"]
    exclude = ["join_code"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["user", "challenge", "team", "accepted_terms_at"]


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "team", "phase", "status", "is_final", "submitted_by", "created_at"]
    list_filter = ["status", "is_final"]
    exclude = ["predictions"]


@admin.register(FactSheet)
class FactSheetAdmin(ReadOnlyAdmin):
    list_display = ["submission", "parameters_m", "input_size", "gflops", "ensemble", "extra_data"]


@admin.register(Baseline)
class BaselineAdmin(ReadOnlyAdmin):
    list_display = ["label", "phase", "created_by", "created_at"]
    exclude = ["predictions"]


@admin.register(ParticipantBundle)
class ParticipantBundleAdmin(ReadOnlyAdmin):
    list_display = ["challenge", "status", "size_bytes", "sha256", "created_at", "finished_at"]
