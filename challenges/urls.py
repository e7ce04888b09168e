from django.urls import path

from challenges import views

app_name = "challenges"
CHALLENGE = "<slug:slug>"
PHASE = f"{CHALLENGE}/phases/<int:phase_id>"
urlpatterns = [
    path("", views.challenge_list, name="list"),
    path("new/", views.challenge_new, name="new"),
    path(f"{CHALLENGE}/", views.challenge_detail, name="detail"),
    path(f"{CHALLENGE}/register/", views.challenge_register, name="register"),
    path(f"{CHALLENGE}/teams/", views.team_create, name="team-create"),
    path(f"{CHALLENGE}/teams/join/", views.team_join, name="team-join"),
    path(f"{CHALLENGE}/download/", views.bundle_download, name="download"),
    path(f"{CHALLENGE}/download/cancel/", views.bundle_cancel, name="bundle-cancel"),
    path(f"{CHALLENGE}/download/rebuild/", views.bundle_rebuild, name="bundle-rebuild"),
    path(f"{CHALLENGE}/submissions/<int:submission_id>/cancel/", views.submission_cancel_view,
         name="submission-cancel"),
    path(f"{CHALLENGE}/visibility/", views.challenge_visibility, name="visibility"),
    path(f"{CHALLENGE}/phases/", views.phase_add, name="phase-add"),
    path(f"{PHASE}/", views.leaderboard, name="leaderboard"),
    path(f"{PHASE}/final-table.csv", views.leaderboard_csv, name="final-table"),
    path(f"{PHASE}/<slug:chart>.csv", views.chart_csv, name="chart-csv"),
    path(f"{PHASE}/submit/", views.submission_create, name="submit"),
    path(f"{PHASE}/final/", views.submission_final, name="final"),
    path(f"{PHASE}/publish/", views.phase_publish, name="publish"),
    path(f"{PHASE}/baselines/", views.baseline_create, name="baseline"),
]
