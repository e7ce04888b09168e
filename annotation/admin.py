from django.contrib import admin

from annotation.models import RatingTask


@admin.register(RatingTask)
class RatingTaskAdmin(admin.ModelAdmin):
    list_display = ["annotator", "stimulus", "study", "position", "status"]
    list_filter = ["study", "status"]
    search_fields = ["annotator__username", "stimulus__name"]
    raw_id_fields = ["stimulus", "rating"]
