"""The coordinator's protocol form: every setting of `moslab_science.rating.protocol`, turned into a config dict.

The form checks each field; `protocol_publish` then checks the whole (unknown keys, shortcuts, 'none'
severity...) and stores it as a new version. The scale and raters per image on the form are the
study's settings (`STUDY_SETTINGS`), saved to the study, not into the config.
"""
from django import forms

from moslab_science.rating.protocol import ACR5, MAX_DIMENSIONS, SLIDER100, Protocol
from moslab_science.rating.protocol_limits import (
    MAX_ASPECTS,
    MAX_EXAMPLES,
    MAX_INSTRUCTIONS,
    MAX_SEVERITIES,
    MAX_VIEWING_SECONDS,
    REAL_LIMITS,
    WHOLE_LIMITS,
)

SCALES = [(ACR5, "ACR 1–5 (Bad, Poor, Fair, Good, Excellent)"), (SLIDER100, "Continuous slider 0–100")]
STUDY_SETTINGS = ("scale", "raters_per_stimulus")
SETTINGS = ("instructions", "reason_tolerance", "qualification_threshold",
            "gold_every", "gold_pause_after", "repeats_per_block", "block_size", "break_seconds", "relabel_rounds",
            "completion_code", "show_prompt", "replay", "min_viewing_seconds")
RULE = ("min_range", "max_deviation", "max_std")


def bounds(name: str) -> dict:
    """The form field's min_value and max_value: the protocol's own limits, so form and parser agree."""
    low, high = WHOLE_LIMITS[name] if name in WHOLE_LIMITS else REAL_LIMITS[name]
    return {"min_value": low, "max_value": high}


class ProtocolForm(forms.Form):
    scale = forms.ChoiceField(choices=SCALES, widget=forms.RadioSelect)
    raters_per_stimulus = forms.IntegerField(**bounds("raters_per_stimulus"), label="Raters per image")
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_INSTRUCTIONS)
    reason_tolerance = forms.FloatField(
        **bounds("reason_tolerance"), label="Reason needed beyond (steps)",
        help_text="A score further than this from the guideline's suggestion needs a one-line reason.",
    )
    qualification_threshold = forms.FloatField(
        **bounds("qualification_threshold"), label="Qualification pass share",
        help_text="Share of qualification images within tolerance needed to rate (0–1).",
    )
    gold_every = forms.IntegerField(**bounds("gold_every"), label="One gold image per",
                                    help_text="study images; 0 = none.")
    gold_pause_after = forms.IntegerField(**bounds("gold_pause_after"), label="Pause after failed gold checks",
                                          help_text="0 = never.")
    repeats_per_block = forms.IntegerField(**bounds("repeats_per_block"), label="Repeated images per block")
    block_size = forms.IntegerField(**bounds("block_size"), label="Images per block (session length)")
    break_seconds = forms.IntegerField(**bounds("break_seconds"), label="Break after each block (s)")
    min_range = forms.FloatField(required=False, **bounds("min_range"), label="Flag a score range of at least",
                                 help_text="Empty = not checked.")
    max_deviation = forms.FloatField(required=False, **bounds("max_deviation"),
                                     label="Flag a rater further from the others' mean than",
                                     help_text="Empty = not checked.")
    max_std = forms.FloatField(required=False, **bounds("max_std"), label="Flag a standard deviation above",
                               help_text="Empty = not checked.")
    relabel_rounds = forms.IntegerField(**bounds("relabel_rounds"), label="Relabel rounds")
    completion_code = forms.BooleanField(required=False, label="Show a completion code (crowd platforms)")
    show_prompt = forms.BooleanField(required=False, label="Show each stimulus's text prompt above it")
    replay = forms.BooleanField(required=False, label="Videos: allow replays after the first full play")
    min_viewing_seconds = forms.FloatField(
        min_value=0, max_value=MAX_VIEWING_SECONDS, label="Minimum viewing time (s)",
        help_text=f"The score buttons open this long after an item is shown (a video: after its first play); "
        f"a vote sent sooner is refused. 0 = off, at most {MAX_VIEWING_SECONDS}.",
    )
    note = forms.CharField(max_length=300, required=False, label="What changed (kept with the version)")


class AspectForm(forms.Form):
    key = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=80)
    weight = forms.FloatField(**bounds("weight"))
    shortcut = forms.CharField(max_length=1, help_text="A letter other than f.")


class DimensionForm(forms.Form):
    name = forms.RegexField(regex=r"^[a-z0-9][a-z0-9_-]*$", max_length=40, help_text="e.g. technical",
                            error_messages={"invalid": "Use lower-case letters, digits, - or _."})
    label = forms.CharField(max_length=80, help_text="e.g. Technical quality")


class SeverityForm(forms.Form):
    key = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=80)
    points = forms.FloatField(**bounds("points"))


class ExampleForm(forms.Form):
    stimulus = forms.ChoiceField(label="Image")
    caption = forms.CharField(max_length=300)

    def __init__(self, *args, image_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stimulus"].choices = [("", "—")] + [(name, name) for name in image_names]


AspectFormSet = forms.formset_factory(AspectForm, extra=1, can_delete=True, max_num=MAX_ASPECTS, validate_max=True)
SeverityFormSet = forms.formset_factory(SeverityForm, extra=1, can_delete=True, max_num=MAX_SEVERITIES,
                                        validate_max=True)
DimensionFormSet = forms.formset_factory(DimensionForm, extra=1, can_delete=True, max_num=MAX_DIMENSIONS,
                                         validate_max=True)
ExampleFormSet = forms.formset_factory(ExampleForm, extra=1, can_delete=True, max_num=MAX_EXAMPLES, validate_max=True)


def initial_from(
    protocol: Protocol, *, raters_per_stimulus: int,
) -> tuple[dict, list[dict], list[dict], list[dict], list[dict]]:
    """The form's starting values: the study's settings and current protocol (settings, aspects, severities,
    examples, dimensions)."""
    values = {"scale": protocol.scale, "raters_per_stimulus": raters_per_stimulus}
    values.update({key: getattr(protocol, key) for key in SETTINGS})
    values.update({key: getattr(protocol.consistency, key) for key in RULE})
    return (values, [vars(aspect) for aspect in protocol.aspects], [vars(severity) for severity in protocol.severities],
            list(protocol.examples), [vars(dimension) for dimension in protocol.dimensions])


def config_from(form: ProtocolForm, aspects: AspectFormSet, severities: SeverityFormSet,
                examples: ExampleFormSet, dimensions: DimensionFormSet) -> dict:
    """The protocol config of valid forms; rows left empty or ticked for deletion are dropped."""
    data = form.cleaned_data
    config = {key: data[key] for key in SETTINGS}
    config["consistency"] = {key: data[key] for key in RULE}
    config["aspects"] = _rows(aspects)
    config["severities"] = _rows(severities)
    config["examples"] = _rows(examples)
    config["dimensions"] = _rows(dimensions)
    return config


def _rows(formset) -> list[dict]:
    return [
        {key: value for key, value in row.cleaned_data.items() if key != "DELETE"}
        for row in formset.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")
    ]
