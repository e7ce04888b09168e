"""The cross-check review queue: flagged stimuli with their votes (coordinators and researchers), and the
coordinator's decision on one or many of them (accept the votes, ask raters to relabel, add raters)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import review_services, selectors
from annotation.models import StimulusReview
from annotation.protocol_services import protocol_current
from common.api import page_of, page_response, query_filters
from studies import selectors as study_selectors
from studies.models import Membership

Role = Membership.Role


class VoteOutput(serializers.Serializer):
    rater = serializers.CharField(help_text="The rater's username, or Rater A, B... unless names=true.")
    rater_id = serializers.IntegerField(help_text="For a relabel request (rater_ids).")
    score = serializers.FloatField(help_text="The first dimension's score.")
    scores = serializers.ListField(child=serializers.FloatField(allow_null=True),
                                   help_text="One score per dimension, in the order of `dimensions`.")
    deductions = serializers.DictField(help_text="Severity chosen per aspect.")
    reason = serializers.CharField()
    round = serializers.IntegerField()
    deviating = serializers.BooleanField(help_text="The rule found this rater deviating.")


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField(source="review.pk")
    stimulus_id = serializers.IntegerField(source="review.stimulus_id")
    stimulus = serializers.CharField(source="review.stimulus.name")
    round = serializers.IntegerField(source="review.round")
    reasons = serializers.ListField(source="review.reasons", child=serializers.CharField(),
                                    help_text="Why the rule flagged it.")
    created_at = serializers.DateTimeField(source="review.created_at")
    votes = VoteOutput(many=True)


class ReviewDecidedOutput(serializers.ModelSerializer):
    stimulus = serializers.CharField(source="stimulus.name", read_only=True)

    class Meta:
        model = StimulusReview
        fields = ["id", "stimulus", "status", "extra_raters", "note", "decided_at"]


class ReviewListApi(APIView):
    """The flagged stimuli waiting for a decision, oldest first, each with every rater's latest vote."""

    class Filters(serializers.Serializer):
        names = serializers.BooleanField(required=False, default=False,
                                         help_text="true: show the raters' usernames instead of Rater A, B...")
        search = serializers.CharField(required=False, default="", max_length=255,
                                       help_text="Only the stimuli whose name contains this.")

    @extend_schema(parameters=[Filters], responses=page_of(ReviewOutput))
    def get(self, request, study_id: int):
        study = study_selectors.study_get_for_user(study_id=study_id, user=request.user,
                                                   roles=[Role.COORDINATOR, Role.RESEARCHER])
        filters = query_filters(request, self.Filters)
        _, protocol = protocol_current(study=study)

        def with_votes(reviews):
            return selectors.review_rows(reviews, hide_names=not filters["names"],
                                         dimensions=protocol.dimension_names)

        return page_response(request, selectors.open_reviews(study=study, search=filters["search"]), ReviewOutput,
                             expand=with_votes)


class ReviewDecideApi(APIView):
    """One decision on one or many flagged stimuli (coordinators), all or nothing: `accept` keeps the votes,
    `relabel` asks the deviating raters (or `rater_ids`) to rate again, `add_raters` opens `count` more places."""

    class DecideInput(serializers.Serializer):
        review_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
        action = serializers.ChoiceField(choices=review_services.DECISIONS)
        rater_ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_empty=True,
                                          max_length=50, help_text="relabel: who rates again; empty: the deviating.")
        count = serializers.IntegerField(min_value=1, max_value=10, required=False, default=1,
                                         help_text="add_raters: how many places to open.")
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    class DecidedOutput(serializers.Serializer):
        decided = ReviewDecidedOutput(many=True)

    @extend_schema(request=DecideInput, responses=DecidedOutput)
    def post(self, request, study_id: int):
        study = study_selectors.study_get_for_user(study_id=study_id, user=request.user, roles=[Role.COORDINATOR])
        data = self.DecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _, protocol = protocol_current(study=study)
        decided = review_services.reviews_decide(
            reviews=selectors.reviews_get(study=study, review_ids=values["review_ids"]), action=values["action"],
            by=request.user, protocol=protocol, rater_ids=values.get("rater_ids") or None, count=values["count"],
            note=values["note"])
        return Response(self.DecidedOutput({"decided": decided}).data)
