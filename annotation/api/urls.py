from django.urls import path

from annotation.api import views

app_name = "api"
urlpatterns = [
    path("studies/<int:study_id>/ratings/", views.RatingSubmitApi.as_view(), name="rating-submit"),
    path("studies/<int:study_id>/queue/", views.QueueApi.as_view(), name="queue"),
]
