from django.urls import path

from studies.datasets import api

app_name = "datasets-api"
urlpatterns = [
    path("imports/", api.DatasetImportApi.as_view(), name="import"),
    path("studies/<int:study_id>/versions/", api.VersionListApi.as_view(), name="version-list"),
    path("studies/<int:study_id>/versions/<int:version_id>/", api.VersionDetailApi.as_view(), name="version-detail"),
    path("studies/<int:study_id>/versions/<int:version_id>/compare/<int:other_id>/", api.VersionCompareApi.as_view(),
         name="version-compare"),
    path("studies/<int:study_id>/versions/<int:version_id>/splits/", api.SplitCreateApi.as_view(),
         name="split-create"),
    path("studies/<int:study_id>/versions/<int:version_id>/splits/<int:split_id>/", api.SplitDetailApi.as_view(),
         name="split-detail"),
    path("studies/<int:study_id>/exports/", api.ExportListApi.as_view(), name="export-list"),
    path("studies/<int:study_id>/exports/<int:export_id>/", api.ExportDetailApi.as_view(), name="export-detail"),
    path("studies/<int:study_id>/exports/<int:export_id>/cancel/", api.ExportCancelApi.as_view(),
         name="export-cancel"),
    path("studies/<int:study_id>/exports/<int:export_id>/download/", api.ExportDownloadApi.as_view(),
         name="export-download"),
]
