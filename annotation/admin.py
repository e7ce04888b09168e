from django.contrib import admin

from annotation.models import CrowdParticipant, RatingTask


@admin.register(RatingTask)
class RatingTaskAdmin(admin.ModelAdmin):
    list_display = ["annotator", "stimulus", "study", "position", "status"]
    list_filter = ["study", "status"]
    search_fields = ["annotator__username", "stimulus__name"]
    raw_id_fields = ["stimulus", "rating"]


@admin.register(CrowdParticipant)
class CrowdParticipantAdmin(admin.ModelAdmin):
    """Read-only: participants enrol through the study's public link, coordinators decide on its code list."""

    list_display = ["participant_id", "study", "environment_ok", "decision", "created_at"]
    list_filter = ["study", "decision", "environment_ok"]
    search_fields = ["participant_id", "user__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
