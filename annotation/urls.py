from django.urls import path

from annotation import coordinator_views, precision_views, protocol_views, views

app_name = "annotation"
urlpatterns = [
    path("studies/<int:study_id>/rate/", views.rate, name="rate"),
    path("studies/<int:study_id>/rate/start/", views.start, name="start"),
    path("studies/<int:study_id>/planning/", precision_views.planning, name="planning"),
    path("studies/<int:study_id>/annotation/", coordinator_views.overview, name="overview"),
    path("studies/<int:study_id>/protocol/", protocol_views.protocol_edit, name="protocol"),
    path("studies/<int:study_id>/reviews/", coordinator_views.review_queue, name="reviews"),
    path("studies/<int:study_id>/reviews/bulk/", coordinator_views.reviews_bulk_decide, name="reviews-bulk"),
    path("studies/<int:study_id>/reviews/<int:review_id>/", coordinator_views.review_decide, name="review-decide"),
    path("studies/<int:study_id>/ratings/history.csv", coordinator_views.history_csv, name="history-csv"),
    path("studies/<int:study_id>/enrolments/<int:enrolment_id>/resume/", coordinator_views.enrolment_resume,
         name="enrolment-resume"),
]
