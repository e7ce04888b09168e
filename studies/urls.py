from django.urls import path

from studies import views
from studies.datasets import views as dataset_views
from studies.people import views as people_views
from studies.uploads import views as upload_views

app_name = "studies"
urlpatterns = [
    path("", views.home, name="home"),
    path("studies/<int:study_id>/", views.study_detail, name="detail"),
    path("studies/<int:study_id>/status/", views.study_status, name="status"),
    path("studies/<int:study_id>/people/", people_views.people, name="people"),
    path("studies/<int:study_id>/people/add/", people_views.member_add, name="member-add"),
    path("studies/<int:study_id>/people/import/", people_views.members_import, name="members-import"),
    path("studies/<int:study_id>/people/<int:membership_id>/remove/", people_views.member_remove,
         name="member-remove"),
    path("studies/<int:study_id>/invitations/", people_views.invitation_create, name="invitation-create"),
    path("studies/<int:study_id>/invitations/<int:invitation_id>/revoke/", people_views.invitation_revoke,
         name="invitation-revoke"),
    path("join/<str:secret>/", people_views.join, name="join"),
    path("studies/<int:study_id>/stimuli/upload/", upload_views.upload_page, name="stimuli-upload"),
    path("studies/<int:study_id>/uploads/", upload_views.upload_start, name="upload-start"),
    path("studies/<int:study_id>/uploads/<uuid:upload_id>/", upload_views.upload_state, name="upload-state"),
    path("studies/<int:study_id>/uploads/<uuid:upload_id>/chunk", upload_views.upload_chunk, name="upload-chunk"),
    path("studies/<int:study_id>/uploads/<uuid:upload_id>/import", upload_views.upload_import, name="upload-import"),
    path("studies/<int:study_id>/mos/", views.mos_computation_create, name="mos-create"),
    path("studies/<int:study_id>/mos/<int:computation_id>/", views.mos_computation_detail, name="mos-detail"),
    path("studies/<int:study_id>/mos/<int:computation_id>.csv", views.mos_computation_csv, name="mos-csv"),
    path("studies/<int:study_id>/mos/<int:computation_id>/subjects.csv", views.subject_reports_csv,
         name="subjects-csv"),
    path("studies/<int:study_id>/mos/<int:computation_id>/decisions/", views.subject_decision_create,
         name="subject-decision"),
    path("studies/<int:study_id>/stimuli/<int:stimulus_id>/image", views.stimulus_media, name="stimulus-image"),
    path("studies/<int:study_id>/stimuli/<int:stimulus_id>/media", views.stimulus_media, name="stimulus-media"),
    path("studies/<int:study_id>/datasets/", dataset_views.dataset_version_create, name="dataset-version-create"),
    path("studies/<int:study_id>/datasets/<int:version_id>/", dataset_views.dataset_version_detail,
         name="dataset-version"),
    path("studies/<int:study_id>/datasets/<int:version_id>/splits/", dataset_views.dataset_split_create,
         name="dataset-split-create"),
    path("studies/<int:study_id>/datasets/<int:version_id>/exports/", dataset_views.dataset_export_create,
         name="dataset-export-create"),
    path("studies/<int:study_id>/dataset-exports/<int:export_id>/download", dataset_views.dataset_export_download,
         name="dataset-export-download"),
    path("studies/<int:study_id>/dataset-exports/<int:export_id>/cancel", dataset_views.dataset_export_cancel,
         name="dataset-export-cancel"),
]
