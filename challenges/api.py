"""JSON API of challenges for participants: validate, scope, one service call, serialise.

Everything here is built from the selectors' plain views (ChallengeOverview, SubmissionView, Leaderboard),
never from the challenge's dataset version or split, which hold every MOS. A challenge that is not public
answers 403 with the same message whether it exists or not (common.api.exception_handler), like the other APIs.
"""
from dataclasses import replace

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from challenges import leaderboards, selectors, services
from challenges.models import Phase, Submission
from challenges.submission_services import submission_cancel, submission_mark_final, submission_submit
from common.api import page_of, page_response, query_filters
from common.body_limits import body_limit
from moslab_science.challenges.predictions import MAX_BYTES

# Phase kinds are plain strings here: an enum named "kind" would collide with the other apps' "kind" enums.
PHASE_KINDS = " or ".join(Phase.Kind.values)


def _challenge(request, slug: str):
    return selectors.challenge_get_for_user(slug=slug, user=request.user)


class ChallengeSummaryOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    is_public = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ChallengeQuotaOutput(serializers.Serializer):
    used_today = serializers.IntegerField()
    left_today = serializers.IntegerField()
    used_total = serializers.IntegerField()
    left_total = serializers.IntegerField()


class ChallengePhaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=PHASE_KINDS)
    label = serializers.CharField()
    part = serializers.CharField(help_text="The part of the split scored; its image names are in <part>.csv.")
    images = serializers.IntegerField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    is_open = serializers.BooleanField()
    max_per_day = serializers.IntegerField()
    max_total = serializers.IntegerField()
    results_published_at = serializers.DateTimeField(allow_null=True)
    quota = ChallengeQuotaOutput(allow_null=True, help_text="Your team's use of the limits (null without a team).")


class ChallengeOutput(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    rules = serializers.CharField()
    terms = serializers.CharField()
    score_text = serializers.CharField(help_text="The score formula in words.")
    is_public = serializers.BooleanField()
    is_organiser = serializers.BooleanField()
    registered = serializers.BooleanField()
    team = serializers.CharField(allow_null=True)
    team_join_code = serializers.CharField(allow_null=True)
    team_members = serializers.ListField(child=serializers.CharField())
    part_counts = serializers.DictField(child=serializers.IntegerField(), help_text="Part -> number of images.")
    phases = ChallengePhaseOutput(many=True)
    bundle_ready = serializers.BooleanField()
    bundle_sha256 = serializers.CharField()
    bundle_size_bytes = serializers.IntegerField(allow_null=True)


class ChallengeScoresOutput(serializers.Serializer):
    score = serializers.FloatField()
    srcc = serializers.FloatField()
    plcc = serializers.FloatField()
    krcc = serializers.FloatField()
    plcc_poly3 = serializers.FloatField()
    n = serializers.IntegerField()


class ChallengeFactSheetOutput(serializers.Serializer):
    method = serializers.CharField()
    parameters_m = serializers.FloatField(help_text="Parameters, in millions.")
    input_size = serializers.CharField()
    gflops = serializers.FloatField()
    ensemble = serializers.BooleanField()
    extra_data = serializers.BooleanField()
    code_url = serializers.CharField(required=False, allow_blank=True, default="")


class ChallengeSubmissionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.CharField()
    phase_id = serializers.IntegerField()
    phase_kind = serializers.CharField(help_text=PHASE_KINDS)
    submitted_by = serializers.CharField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.CharField(help_text="queued, running, succeeded, failed or cancelled")
    attempt = serializers.IntegerField(source="job.attempt")
    cancel_requested = serializers.BooleanField(source="job.cancel_requested")
    scores = serializers.SerializerMethodField(help_text="Null while queued, failed, or hidden (test phase).")
    scores_hidden = serializers.BooleanField()
    error = serializers.CharField()
    is_final = serializers.BooleanField()
    fact_sheet = ChallengeFactSheetOutput(allow_null=True)

    @extend_schema_field(ChallengeScoresOutput(allow_null=True))
    def get_scores(self, view) -> dict | None:
        if not view.scores:
            return None
        return {name: view.scores.get(name) for name in ChallengeScoresOutput().fields}


class ChallengeBoardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="The rank group: teams a paired bootstrap on the "
                                                               "score cannot tell apart share it.")
    team = serializers.CharField(help_text="The team, or the label of a baseline.")
    submission_id = serializers.IntegerField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    score = serializers.FloatField(allow_null=True)
    srcc = serializers.FloatField(allow_null=True)
    plcc = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    is_baseline = serializers.BooleanField()
    is_final = serializers.BooleanField()
    fact_sheet = ChallengeFactSheetOutput(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True, help_text="The score's bootstrap 95% CI, low.")
    ci_high = serializers.FloatField(allow_null=True, help_text="The score's bootstrap 95% CI, high.")


class ChallengeBoardOutput(serializers.Serializer):
    phase_id = serializers.IntegerField(source="phase.pk")
    phase_kind = serializers.CharField(source="phase.kind", help_text=PHASE_KINDS)
    score_text = serializers.CharField()
    scores_visible = serializers.BooleanField()
    rows = ChallengeBoardRowOutput(many=True)
    baselines = ChallengeBoardRowOutput(many=True)
    ranking_note = serializers.CharField(help_text="How the rank groups were formed, with warnings.")


@extend_schema_field(OpenApiTypes.BINARY)
class PredictionsFileField(serializers.FileField):
    """A predictions file sent as multipart form data."""


class ChallengeListApi(APIView):
    """Public challenges, and those you organise, newest first."""

    class Filters(serializers.Serializer):
        search = serializers.CharField(required=False, default="", max_length=200,
                                       help_text="Only the challenges whose title or slug contains this.")

    @extend_schema(parameters=[Filters], responses=page_of(ChallengeSummaryOutput))
    def get(self, request):
        challenges = selectors.challenges_for_user(user=request.user, **query_filters(request, self.Filters))
        return page_response(request, challenges, ChallengeSummaryOutput)


class ChallengeDetailApi(APIView):
    """A challenge as a participant sees it: rules, score, phases with your team's quota, the download's state."""

    @extend_schema(responses=ChallengeOutput)
    def get(self, request, slug: str):
        overview = selectors.challenge_overview(challenge=_challenge(request, slug), user=request.user)
        return Response(ChallengeOutput(overview).data)


class RegisterApi(APIView):
    """Register for the challenge, accepting its terms (registering again changes nothing)."""

    class ChallengeRegisterInput(serializers.Serializer):
        accept_terms = serializers.BooleanField()

    @extend_schema(request=ChallengeRegisterInput, responses={201: ChallengeOutput})
    def post(self, request, slug: str):
        data = self.ChallengeRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge(request, slug)
        services.participant_register(challenge=challenge, user=request.user,
                                      accept_terms=data.validated_data["accept_terms"])
        return Response(ChallengeOutput(selectors.challenge_overview(challenge=challenge, user=request.user)).data,
                        status=201)


class TeamCreateApi(APIView):
    """Create a team (you become its first member); its join code is in the challenge detail."""

    class ChallengeTeamCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=80)

    @extend_schema(request=ChallengeTeamCreateInput, responses={201: ChallengeOutput})
    def post(self, request, slug: str):
        data = self.ChallengeTeamCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge(request, slug)
        services.team_create(challenge=challenge, name=data.validated_data["name"], by=request.user)
        return Response(ChallengeOutput(selectors.challenge_overview(challenge=challenge, user=request.user)).data,
                        status=201)


class TeamJoinApi(APIView):
    """Join a team with the join code one of its members gives you."""

    class ChallengeTeamJoinInput(serializers.Serializer):
        join_code = serializers.CharField(max_length=64)

    @extend_schema(request=ChallengeTeamJoinInput, responses={200: ChallengeOutput})
    def post(self, request, slug: str):
        data = self.ChallengeTeamJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge(request, slug)
        services.team_join(challenge=challenge, join_code=data.validated_data["join_code"], by=request.user)
        return Response(ChallengeOutput(selectors.challenge_overview(challenge=challenge, user=request.user)).data)


class ChallengeBundleOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="queued, running, succeeded, failed or cancelled")
    progress = serializers.FloatField()
    attempt = serializers.IntegerField()
    worker = serializers.CharField()
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class BundleApi(APIView):
    """The newest build of the participants' zip (organisers): its status, attempt, worker and reason."""

    @extend_schema(responses=ChallengeBundleOutput)
    def get(self, request, slug: str):
        bundle = selectors.bundle_latest(challenge=_challenge(request, slug), user=request.user)
        if bundle is None:
            raise NotFound("No build of the download yet.")
        return Response(ChallengeBundleOutput(bundle).data)


class BundleCancelApi(APIView):
    """Cancel the newest build (organisers): a queued one at once, a running one at its next image."""

    @extend_schema(request=None, responses=ChallengeBundleOutput)
    def post(self, request, slug: str):
        bundle = services.bundle_cancel(challenge=_challenge(request, slug), by=request.user)
        return Response(ChallengeBundleOutput(bundle).data)


class BundleRebuildApi(APIView):
    """Build the download again after its newest build failed or was cancelled (organisers)."""

    @extend_schema(request=None, responses=ChallengeBundleOutput)
    def post(self, request, slug: str):
        bundle = services.bundle_rebuild(challenge=_challenge(request, slug), by=request.user)
        return Response(ChallengeBundleOutput(bundle).data)


class DownloadApi(APIView):
    """The participants' zip (registered participants): every image, train MOS, image lists of the scored parts."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, slug: str):
        challenge = _challenge(request, slug)
        bundle = selectors.challenge_bundle_for_user(challenge=challenge, user=request.user)
        response = FileResponse(bundle.file.open("rb"), as_attachment=True, filename=f"{challenge.slug}-data.zip")
        response["X-Content-SHA256"] = bundle.sha256
        return response


@body_limit(MAX_BYTES)
class SubmitApi(APIView):
    """Submit predictions (multipart `file`: CSV image,score or a zip holding it) for scoring.

    A file with problems is refused with 400 and every line-level problem listed; it counts against no limit.
    The same file sent again answers 200 with the first submission.
    """

    parser_classes = [MultiPartParser]

    class ChallengeSubmitInput(serializers.Serializer):
        file = PredictionsFileField()

    @extend_schema(request={"multipart/form-data": ChallengeSubmitInput}, responses={201: ChallengeSubmissionOutput,
                                                                            200: ChallengeSubmissionOutput})
    def post(self, request, slug: str, phase_id: int):
        data = self.ChallengeSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge(request, slug)
        phase = selectors.phase_get(challenge=challenge, phase_id=phase_id)
        upload = data.validated_data["file"]
        asked_at = timezone.now()
        submission = submission_submit(phase=phase, by=request.user, filename=upload.name,
                                       content=upload.read(MAX_BYTES + 1))
        view = selectors.submission_get_for_user(challenge=challenge, submission_id=submission.pk, user=request.user)
        return Response(ChallengeSubmissionOutput(view).data, status=201 if submission.created_at >= asked_at else 200)


class SubmissionListApi(APIView):
    """Your team's submissions, newest first (scores hidden in a test phase until its results are published)."""

    class Filters(serializers.Serializer):
        phase = serializers.IntegerField(required=False, min_value=1, allow_null=True, default=None,
                                         help_text="Only this phase's submissions.")

    @extend_schema(parameters=[Filters], responses=page_of(ChallengeSubmissionOutput))
    def get(self, request, slug: str):
        challenge = _challenge(request, slug)
        phase_id = query_filters(request, self.Filters)["phase"]
        phase = selectors.phase_get(challenge=challenge, phase_id=phase_id) if phase_id else None
        views = selectors.team_submissions(challenge=challenge, user=request.user, phase=phase)
        return page_response(request, views, ChallengeSubmissionOutput)


class SubmissionDetailApi(APIView):
    """One submission of your team: its status, and its scores once scored (and visible)."""

    @extend_schema(responses=ChallengeSubmissionOutput)
    def get(self, request, slug: str, submission_id: int):
        view = selectors.submission_get_for_user(challenge=_challenge(request, slug), submission_id=submission_id,
                                                 user=request.user)
        return Response(ChallengeSubmissionOutput(view).data)


class SubmissionCancelApi(APIView):
    """Stop scoring a submission of your team (organisers: any team's): a queued one at once, a running one before
    its scores are stored. A cancelled submission counts against no limit."""

    @extend_schema(request=None, responses=ChallengeSubmissionOutput)
    def post(self, request, slug: str, submission_id: int):
        challenge = _challenge(request, slug)
        submission_cancel(challenge=challenge, submission_id=submission_id, by=request.user)
        view = selectors.submission_get_for_user(challenge=challenge, submission_id=submission_id, user=request.user)
        return Response(ChallengeSubmissionOutput(view).data)


class SubmissionFinalApi(APIView):
    """Make a scored submission your team's final entry of its phase, with its fact sheet."""

    class ChallengeFactSheetInput(serializers.Serializer):
        """Every field but code_url is needed; a missing one is listed among the problems of the 400 answer."""

        method = serializers.CharField(required=False, allow_blank=True)
        parameters_m = serializers.FloatField(required=False, help_text="Parameters, in millions.")
        input_size = serializers.CharField(required=False, allow_blank=True, help_text="e.g. 224x224")
        gflops = serializers.FloatField(required=False, help_text="GFLOPs per input.")
        ensemble = serializers.BooleanField(required=False)
        extra_data = serializers.BooleanField(required=False, help_text="Trained on data beyond the challenge's.")
        code_url = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(request=ChallengeFactSheetInput, responses=ChallengeSubmissionOutput)
    def post(self, request, slug: str, submission_id: int):
        data = self.ChallengeFactSheetInput(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = _challenge(request, slug)
        view = selectors.submission_get_for_user(challenge=challenge, submission_id=submission_id, user=request.user)
        submission = Submission.objects.get(pk=view.id)  # the team's own: the selector scoped it
        submission_mark_final(submission=submission, by=request.user, fact_sheet=dict(data.validated_data))
        view = selectors.submission_get_for_user(challenge=challenge, submission_id=submission_id, user=request.user)
        return Response(ChallengeSubmissionOutput(view).data)


class LeaderboardApi(APIView):
    """A phase's leaderboard: ranked by the challenge score, baselines apart. In a test phase, scores and fact sheets
    are hidden until the organisers publish the results."""

    @extend_schema(responses=ChallengeBoardOutput)
    def get(self, request, slug: str, phase_id: int):
        phase = selectors.phase_get(challenge=_challenge(request, slug), phase_id=phase_id)
        board = leaderboards.leaderboard(phase=phase, user=request.user)
        if not board.scores_visible:  # other teams' methods stay theirs until the results are published
            board = replace(board, rows=[replace(row, fact_sheet=None) for row in board.rows])
        return Response(ChallengeBoardOutput(board).data)
