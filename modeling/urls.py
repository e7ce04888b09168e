from django.urls import path

from modeling import views

app_name = "modeling"
BASE = "studies/<int:study_id>/dashboards"
urlpatterns = [
    path(f"{BASE}/mos/", views.mos_dashboard, name="mos"),
    path(f"{BASE}/mos/<slug:slug>.csv", views.chart_csv, {"page": "mos"}, name="mos-csv"),
    path(f"{BASE}/raters/", views.rater_dashboard, name="raters"),
    path(f"{BASE}/raters/<slug:slug>.csv", views.chart_csv, {"page": "raters"}, name="raters-csv"),
    path(f"{BASE}/predictions/", views.predictions_dashboard, name="predictions"),
    path(f"{BASE}/predictions/<slug:slug>.csv", views.chart_csv, {"page": "predictions"}, name="predictions-csv"),
    path(f"{BASE}/predictions/<slug:key>/", views.prediction_set_dashboard, name="prediction-set"),
    path(f"{BASE}/predictions/<slug:key>/<slug:slug>.csv", views.chart_csv, {"page": "prediction-set"},
         name="prediction-set-csv"),
]
