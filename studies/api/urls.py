from django.urls import path

from studies import api

app_name = "studies-api"
urlpatterns = [
    path("", api.StudyListApi.as_view(), name="study-list"),
]
