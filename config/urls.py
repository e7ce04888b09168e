from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from common import auth

admin.site.login_form = auth.AdminLoginForm  # throttled like the site's login

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/", include("accounts.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/studies/", include("studies.api.urls")),
    path("api/annotation/", include("annotation.api.urls")),
    path("api/datasets/", include("studies.datasets.api_urls")),
    path("api/runs/", include("modeling.runs.api_urls")),
    path("api/challenges/", include("challenges.api_urls")),
    path("challenges/", include("challenges.urls")),
    path("", include("annotation.urls")),
    path("", include("studies.urls")),
    path("", include("modeling.urls")),
]
