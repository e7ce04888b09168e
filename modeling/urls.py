from django.urls import path

from modeling.dashboards import views
from modeling.runs import views as run_views

app_name = "modeling"
BASE = "studies/<int:study_id>/dashboards"
RUNS = "studies/<int:study_id>/runs"
RUN = f"{RUNS}/<int:benchmark_id>"
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
    path(f"{RUNS}/", run_views.benchmark_list, name="runs"),
    path(f"{RUN}/", run_views.benchmark_detail, name="benchmark"),
    path(f"{RUN}/<slug:slug>.csv", run_views.chart_csv, {"page": "benchmark"}, name="benchmark-csv"),
    path(f"{RUN}/cancel/", run_views.benchmark_cancel, name="benchmark-cancel"),
    path(f"{RUN}/retry/", run_views.benchmark_retry, name="benchmark-retry"),
    path(f"{RUN}/training/<int:run_id>/", run_views.training_run_detail, name="training-run"),
    path(f"{RUN}/training/<int:run_id>/<slug:slug>.csv", run_views.chart_csv, {"page": "training"},
         name="training-run-csv"),
]
