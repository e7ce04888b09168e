"""What the rating API takes and answers, as serializers: input validation and the OpenAPI schema."""
from rest_framework import serializers


class JsonNumberField(serializers.FloatField):
    """A score sent as a JSON number: true, false and "5" are refused rather than read as 1.0, 0.0 and 5.0."""

    default_error_messages = {"not_a_number": "Send a JSON number such as 4 or 62.5, not {kind}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("not_a_number", kind="a boolean" if isinstance(data, bool) else f"a {type(data).__name__}")
        return super().to_internal_value(data)


class RatingInput(serializers.Serializer):
    task_id = serializers.IntegerField()
    client_id = serializers.UUIDField(help_text="Made by the client; sending the same vote again stores nothing new.")
    score = JsonNumberField(required=False, help_text="The score of a single-score protocol.")
    scores = serializers.DictField(
        child=JsonNumberField(), required=False, allow_empty=False,
        help_text="One score per dimension of a multi-dimension protocol, every dimension required, e.g. "
                  "{\"technical\": 62, \"aesthetic\": 55, \"alignment\": 70}. Stored as one vote per dimension.",
    )
    response_time_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False, allow_null=True)
    deductions = serializers.DictField(
        child=serializers.CharField(max_length=40), required=False, allow_null=True,
        help_text="Severity chosen per aspect of the guideline, e.g. {\"noise\": \"slight\"}.",
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                   help_text="Why the score differs from the guideline's suggestion.")
    display = serializers.DictField(
        required=False, allow_null=True,
        help_text="Viewport, devicePixelRatio, size drawn, zoom, fullscreen, user agent; for a video also "
                  "played_through (required true), played_seconds, replays.",
    )

    def validate(self, attrs):
        if ("score" in attrs) == ("scores" in attrs):
            raise serializers.ValidationError(
                "Send score (a single-score protocol) or scores (one per dimension), not both or neither."
            )
        return attrs


class TaskOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="rating, training, qualification or relabel; checks look like rating.")
    image_url = serializers.CharField(help_text="The stored image or video.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    media_type = serializers.ChoiceField(choices=["image", "video"])
    duration_seconds = serializers.FloatField(allow_null=True, help_text="Videos only.")
    prompt = serializers.CharField(allow_blank=True, help_text="The text prompt when the protocol shows it.")


class CountOutput(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Assigned so far: new blocks are added while the study has places.")


class YourProgressOutput(serializers.Serializer):
    training = CountOutput()
    qualification = CountOutput()
    rating = CountOutput(help_text="Study images, relabels, gold and repeated images alike.")


class ProgressOutput(serializers.Serializer):
    block_done = serializers.IntegerField()
    block_size = serializers.IntegerField()
    study_done = serializers.IntegerField()
    yours = YourProgressOutput(help_text="The annotator's own tasks: the page's \"image n of N\".")
    study_total = serializers.IntegerField(required=False, help_text="Left out of the answer to a vote.")
    open_to_you = serializers.IntegerField(
        required=False, help_text="Images still open to the annotator beyond their own (the most they may still "
        "claim); left out of the answer to a vote.")


class QueueStateOutput(serializers.Serializer):
    phase = serializers.CharField()
    paused = serializers.BooleanField()
    pause_reason = serializers.CharField()
    break_seconds_left = serializers.IntegerField()
    tasks = TaskOutput(many=True, help_text="The next task and the one after it (to prefetch).")
    progress = ProgressOutput()
    done_url = serializers.CharField()
    completion_code = serializers.CharField()


class RatingOutput(serializers.Serializer):
    task_id = serializers.IntegerField()
    rating_id = serializers.IntegerField(help_text="The vote of the first (or only) dimension.")
    rating_ids = serializers.DictField(child=serializers.IntegerField(),
                                       help_text="Dimension -> vote id (\"\" for a single score).")
    created = serializers.BooleanField(help_text="False when this client_id was stored before (a replay).")
    feedback = serializers.DictField(allow_null=True, help_text="Training votes only: the reference score.")
    state = QueueStateOutput()
