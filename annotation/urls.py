from django.urls import path

from annotation import views

app_name = "annotation"
urlpatterns = [
    path("studies/<int:study_id>/rate/", views.rate, name="rate"),
]
