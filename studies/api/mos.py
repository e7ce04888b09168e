"""MOS computations: start one (coordinators), poll it, read its per-stimulus results and its report on each
rater (coordinators and researchers); overrides of screening, one rater at a time (coordinators)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import page_of, page_response, query_filters
from studies import selectors, services
from studies.models import Membership, MosComputation, StimulusMos, Study, SubjectDecision, SubjectReport

Role = Membership.Role


def _study(request, study_id: int, *, write: bool = False) -> Study:
    roles = [Role.COORDINATOR] if write else [Role.COORDINATOR, Role.RESEARCHER]
    return selectors.study_get_for_user(study_id=study_id, user=request.user, roles=roles)


class MosComputationOutput(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = MosComputation
        fields = ["id", "method", "mode", "dimension", "parameters", "status", "progress", "attempt", "worker",
                  "cancel_requested", "requested_by", "created_at", "started_at", "finished_at", "error", "warnings",
                  "num_ratings"]


class MosResultOutput(serializers.ModelSerializer):
    stimulus_id = serializers.IntegerField(read_only=True)
    stimulus = serializers.CharField(source="stimulus.name", read_only=True)
    sha256 = serializers.CharField(source="stimulus.sha256", read_only=True)
    source_content = serializers.CharField(source="stimulus.source_content", read_only=True)
    groups = serializers.JSONField(source="stimulus.groups", read_only=True)

    class Meta:
        model = StimulusMos
        fields = ["stimulus_id", "stimulus", "sha256", "source_content", "groups", "mos", "std", "ci95", "count"]


class SubjectReportOutput(serializers.ModelSerializer):
    rater_id = serializers.IntegerField(read_only=True)
    rater = serializers.CharField(source="rater.username", read_only=True)

    class Meta:
        model = SubjectReport
        fields = ["rater_id", "rater", "num_votes", "rejected", "automatic_rejected", "reason", "p_count", "q_count",
                  "pearson", "spearman", "bias", "inconsistency"]


class SubjectDecisionOutput(serializers.ModelSerializer):
    rater_id = serializers.IntegerField(read_only=True)
    rater = serializers.CharField(source="rater.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)

    class Meta:
        model = SubjectDecision
        fields = ["id", "rater_id", "rater", "decision", "reason", "decided_by", "created_at"]


class MosComputationListApi(APIView):
    """The study's MOS computations, newest first (GET); queue one (POST, coordinators): a worker fills it in,
    poll its status."""

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=MosComputation.Status.choices, required=False, allow_blank=True,
                                         default="")
        method = serializers.ChoiceField(choices=MosComputation.Method.choices, required=False, allow_blank=True,
                                         default="")
        dimension = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                          help_text="Only this rating dimension's; an empty value: the single score.")

    class MosStartInput(serializers.Serializer):
        method = serializers.ChoiceField(choices=MosComputation.Method.choices, default=MosComputation.Method.MEAN)
        mode = serializers.ChoiceField(choices=MosComputation.Mode.choices, default=MosComputation.Mode.DEFAULT)
        dimension = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                          help_text="The rating dimension; blank: the single score.")

    @extend_schema(parameters=[Filters], responses=page_of(MosComputationOutput))
    def get(self, request, study_id: int):
        computations = selectors.mos_computations_for_study(study=_study(request, study_id),
                                                            **query_filters(request, self.Filters))
        return page_response(request, computations, MosComputationOutput)

    @extend_schema(request=MosStartInput, responses={201: MosComputationOutput})
    def post(self, request, study_id: int):
        study = _study(request, study_id, write=True)
        data = self.MosStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        computation = services.mos_computation_start(study=study, by=request.user, **data.validated_data)
        return Response(MosComputationOutput(computation).data, status=201)


class MosComputationDetailApi(APIView):
    """One MOS computation: its status (queued, running, succeeded, failed), error and warnings."""

    @extend_schema(responses=MosComputationOutput)
    def get(self, request, study_id: int, computation_id: int):
        computation = selectors.mos_computation_get(study=_study(request, study_id), computation_id=computation_id)
        return Response(MosComputationOutput(computation).data)


class MosComputationCancelApi(APIView):
    """Cancel a computation (coordinators): a queued one at once, a running one at its next step; it ends
    "cancelled"."""

    @extend_schema(request=None, responses=MosComputationOutput)
    def post(self, request, study_id: int, computation_id: int):
        computation = selectors.mos_computation_get(study=_study(request, study_id, write=True),
                                                    computation_id=computation_id)
        return Response(MosComputationOutput(services.mos_computation_cancel(computation=computation,
                                                                             by=request.user)).data)


class MosResultListApi(APIView):
    """A computation's MOS, standard deviation, 95% CI half-width and vote count per stimulus, by stimulus name."""

    class Filters(serializers.Serializer):
        search = serializers.CharField(required=False, default="", max_length=255,
                                       help_text="Only the stimuli whose name contains this.")

    @extend_schema(parameters=[Filters], responses=page_of(MosResultOutput))
    def get(self, request, study_id: int, computation_id: int):
        computation = selectors.mos_computation_get(study=_study(request, study_id), computation_id=computation_id)
        results = selectors.mos_results_of(computation=computation, **query_filters(request, self.Filters))
        return page_response(request, results, MosResultOutput)


class SubjectReportListApi(APIView):
    """What a computation concluded about each rater (kept or rejected, and why), by username."""

    class Filters(serializers.Serializer):
        rejected = serializers.BooleanField(required=False, allow_null=True, default=None,
                                            help_text="true: only the rejected raters; false: only those kept.")

    @extend_schema(parameters=[Filters], responses=page_of(SubjectReportOutput))
    def get(self, request, study_id: int, computation_id: int):
        computation = selectors.mos_computation_get(study=_study(request, study_id), computation_id=computation_id)
        reports = selectors.subject_reports_of(computation=computation, **query_filters(request, self.Filters))
        return page_response(request, reports, SubjectReportOutput)


class SubjectDecisionListApi(APIView):
    """Every override of screening in the study, newest first (GET, the audit trail); override one rater
    (POST, coordinators): keep, reject, or back to the method's decision. Compute MOS again to apply it."""

    class DecisionInput(serializers.Serializer):
        rater_id = serializers.IntegerField(help_text="A rater of the study, as in a computation's subject reports.")
        decision = serializers.ChoiceField(choices=SubjectDecision.Decision.choices)
        reason = serializers.CharField(max_length=2000, help_text="Kept with the decision.")

    @extend_schema(responses=page_of(SubjectDecisionOutput))
    def get(self, request, study_id: int):
        return page_response(request, selectors.subject_decisions_for_study(study=_study(request, study_id)),
                             SubjectDecisionOutput)

    @extend_schema(request=DecisionInput, responses={201: SubjectDecisionOutput})
    def post(self, request, study_id: int):
        study = _study(request, study_id, write=True)
        data = self.DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        decision = services.subject_decision_record(
            study=study, rater=selectors.study_rater_get(study=study, rater_id=values["rater_id"]),
            decision=values["decision"], reason=values["reason"], by=request.user)
        return Response(SubjectDecisionOutput(decision).data, status=201)
