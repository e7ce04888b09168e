from django.urls import path

from annotation import coordinator_views, precision_views, protocol_views, study_setup_views, views
from annotation.crowd import views as crowd_views

app_name = "annotation"
urlpatterns = [
    path("studies/<int:study_id>/rate/", views.rate, name="rate"),
    path("studies/<int:study_id>/rate/start/", views.start, name="start"),
    path("studies/<int:study_id>/planning/", precision_views.planning, name="planning"),
    path("studies/<int:study_id>/annotation/", coordinator_views.overview, name="overview"),
    path("studies/new/", study_setup_views.study_new, name="study-new"),
    path("studies/<int:study_id>/protocol/", protocol_views.protocol_edit, name="protocol"),
    path("studies/<int:study_id>/protocol/quality-items/", protocol_views.quality_items_upload,
         name="quality-items-upload"),
    path("studies/<int:study_id>/reviews/", coordinator_views.review_queue, name="reviews"),
    path("studies/<int:study_id>/reviews/bulk/", coordinator_views.reviews_bulk_decide, name="reviews-bulk"),
    path("studies/<int:study_id>/reviews/<int:review_id>/", coordinator_views.review_decide, name="review-decide"),
    path("studies/<int:study_id>/ratings/history.csv", coordinator_views.history_csv, name="history-csv"),
    path("studies/<int:study_id>/enrolments/<int:enrolment_id>/resume/", coordinator_views.enrolment_resume,
         name="enrolment-resume"),
    path("crowd/<str:token>/", crowd_views.join, name="crowd-join"),
    path("studies/<int:study_id>/crowd/check/", crowd_views.check, name="crowd-check"),
    path("studies/<int:study_id>/crowd/", crowd_views.codes, name="crowd-codes"),
    path("studies/<int:study_id>/crowd/link/", crowd_views.link_update, name="crowd-link"),
    path("studies/<int:study_id>/crowd/codes.csv", crowd_views.codes_csv, name="crowd-codes-csv"),
    path("studies/<int:study_id>/crowd/participants/<int:participant_pk>/decision/", crowd_views.decide,
         name="crowd-decide"),
]
