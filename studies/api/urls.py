from django.urls import path

from studies.api import invitations, mos, stimuli, studies

app_name = "studies-api"
urlpatterns = [
    path("", studies.StudyListApi.as_view(), name="study-list"),
    path("<int:study_id>/", studies.StudyDetailApi.as_view(), name="study-detail"),
    path("<int:study_id>/status/", studies.StudyStatusApi.as_view(), name="study-status"),
    path("<int:study_id>/members/", studies.MemberListApi.as_view(), name="member-list"),
    path("<int:study_id>/members/<int:membership_id>/", studies.MemberDetailApi.as_view(), name="member-detail"),
    path("<int:study_id>/invitations/", invitations.InvitationListApi.as_view(), name="invitation-list"),
    path("<int:study_id>/invitations/<int:invitation_id>/", invitations.InvitationDetailApi.as_view(),
         name="invitation-detail"),
    path("<int:study_id>/stimuli/", stimuli.StimulusListApi.as_view(), name="stimulus-list"),
    path("<int:study_id>/stimuli/<int:stimulus_id>/media/", stimuli.StimulusMediaApi.as_view(),
         name="stimulus-media"),
    path("<int:study_id>/mos/", mos.MosComputationListApi.as_view(), name="mos-list"),
    path("<int:study_id>/mos/<int:computation_id>/", mos.MosComputationDetailApi.as_view(), name="mos-detail"),
    path("<int:study_id>/mos/<int:computation_id>/results/", mos.MosResultListApi.as_view(), name="mos-results"),
    path("<int:study_id>/mos/<int:computation_id>/subjects/", mos.SubjectReportListApi.as_view(),
         name="mos-subjects"),
    path("<int:study_id>/subject-decisions/", mos.SubjectDecisionListApi.as_view(), name="subject-decisions"),
]
