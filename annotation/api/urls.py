from django.urls import path

from annotation.api import protocol, reviews, views

app_name = "api"
urlpatterns = [
    path("studies/<int:study_id>/ratings/", views.RatingSubmitApi.as_view(), name="rating-submit"),
    path("studies/<int:study_id>/queue/", views.QueueApi.as_view(), name="queue"),
    path("studies/<int:study_id>/protocol/", protocol.ProtocolCurrentApi.as_view(), name="protocol"),
    path("studies/<int:study_id>/protocol/versions/", protocol.ProtocolVersionListApi.as_view(),
         name="protocol-versions"),
    path("studies/<int:study_id>/quality-items/", protocol.QualityItemListApi.as_view(), name="quality-items"),
    path("studies/<int:study_id>/reviews/", reviews.ReviewListApi.as_view(), name="reviews"),
    path("studies/<int:study_id>/reviews/decisions/", reviews.ReviewDecideApi.as_view(), name="review-decisions"),
]
