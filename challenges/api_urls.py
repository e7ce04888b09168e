from django.urls import path

from challenges import api

app_name = "challenges-api"
CHALLENGE = "<slug:slug>"
urlpatterns = [
    path("", api.ChallengeListApi.as_view(), name="list"),
    path(f"{CHALLENGE}/", api.ChallengeDetailApi.as_view(), name="detail"),
    path(f"{CHALLENGE}/register/", api.RegisterApi.as_view(), name="register"),
    path(f"{CHALLENGE}/teams/", api.TeamCreateApi.as_view(), name="team-create"),
    path(f"{CHALLENGE}/teams/join/", api.TeamJoinApi.as_view(), name="team-join"),
    path(f"{CHALLENGE}/download/", api.DownloadApi.as_view(), name="download"),
    path(f"{CHALLENGE}/bundle/", api.BundleApi.as_view(), name="bundle"),
    path(f"{CHALLENGE}/bundle/cancel/", api.BundleCancelApi.as_view(), name="bundle-cancel"),
    path(f"{CHALLENGE}/bundle/rebuild/", api.BundleRebuildApi.as_view(), name="bundle-rebuild"),
    path(f"{CHALLENGE}/submissions/", api.SubmissionListApi.as_view(), name="submission-list"),
    path(f"{CHALLENGE}/submissions/<int:submission_id>/", api.SubmissionDetailApi.as_view(), name="submission-detail"),
    path(f"{CHALLENGE}/submissions/<int:submission_id>/cancel/", api.SubmissionCancelApi.as_view(),
         name="submission-cancel"),
    path(f"{CHALLENGE}/submissions/<int:submission_id>/final/", api.SubmissionFinalApi.as_view(),
         name="submission-final"),
    path(f"{CHALLENGE}/phases/<int:phase_id>/submissions/", api.SubmitApi.as_view(), name="submit"),
    path(f"{CHALLENGE}/phases/<int:phase_id>/leaderboard/", api.LeaderboardApi.as_view(), name="leaderboard"),
]
