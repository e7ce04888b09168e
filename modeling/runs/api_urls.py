from django.urls import path

from modeling.runs import api

app_name = "runs-api"
BENCHMARK = "studies/<int:study_id>/benchmarks/<int:benchmark_id>"
urlpatterns = [
    path("studies/<int:study_id>/benchmarks/", api.BenchmarkListApi.as_view(), name="benchmark-list"),
    path(f"{BENCHMARK}/", api.BenchmarkDetailApi.as_view(), name="benchmark-detail"),
    path(f"{BENCHMARK}/cancel/", api.BenchmarkCancelApi.as_view(), name="benchmark-cancel"),
    path(f"{BENCHMARK}/retry/", api.BenchmarkRetryApi.as_view(), name="benchmark-retry"),
    path(f"{BENCHMARK}/runs/<int:run_id>/", api.TrainingRunDetailApi.as_view(), name="training-run-detail"),
]
