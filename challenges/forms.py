"""HTML forms of the challenge pages: parse and type the input; the services decide what is allowed."""
from django import forms
from django.contrib.auth.models import AbstractBaseUser

from challenges.models import Phase
from challenges.selectors import ORGANISER_ROLES
from moslab_science.challenges.factsheets import FIELDS as FACT_SHEET_FIELDS
from studies.models import DatasetSplit, Membership

RESERVED_SLUGS = ("new",)
FORMULA_CHOICES = [("ntire2024", "NTIRE 2024: (|SRCC| + |PLCC after a 3rd-order polynomial|) / 2"),
                   ("vquala2025", "VQualA 2025: 0.6 SRCC + 0.4 PLCC")]


def organised_splits(user: AbstractBaseUser):
    """Splits of the dataset versions of the studies where the user is a coordinator or researcher."""
    studies = Membership.objects.filter(user=user, role__in=ORGANISER_ROLES).values("study_id")
    return (DatasetSplit.objects.filter(version__study__in=studies)
            .select_related("version__study").order_by("version__study__name", "-version__number", "name"))


class SplitChoice(forms.ModelChoiceField):
    def label_from_instance(self, split: DatasetSplit) -> str:
        return f"{split.version.study.name} · v{split.version.number} · split {split.name}"


class ChallengeForm(forms.Form):
    split = SplitChoice(queryset=DatasetSplit.objects.none(), label="Dataset version and split",
                        help_text="Participants get MOS of its train part; the other parts are scored.")
    slug = forms.SlugField(max_length=80, help_text="In the challenge's address, e.g. ntire-iqa-2025.")
    title = forms.CharField(max_length=200)
    formula = forms.ChoiceField(choices=FORMULA_CHOICES, label="Score")
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    terms = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="What a participant accepts when registering.")
    is_public = forms.BooleanField(required=False, label="Public (listed, open to registration)")

    def __init__(self, *args, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["split"].queryset = organised_splits(user)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(f"{slug!r} names a page of the challenge list; choose another slug.")
        return slug


class PhaseForm(forms.Form):
    kind = forms.ChoiceField(choices=Phase.Kind.choices)
    part = forms.CharField(max_length=40)
    opens_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   help_text="UTC")
    closes_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                    help_text="UTC")
    max_per_day = forms.IntegerField(min_value=1, initial=5)
    max_total = forms.IntegerField(min_value=1, initial=50)


class FactSheetForm(forms.Form):
    """Text in; `moslab_science.challenges.factsheets.clean_fact_sheet` types and checks every field."""

    submission = forms.IntegerField()
    method = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    parameters_m = forms.CharField(required=False)
    input_size = forms.CharField(required=False)
    gflops = forms.CharField(required=False)
    ensemble = forms.CharField(required=False)
    extra_data = forms.CharField(required=False)
    code_url = forms.CharField(required=False)

    def fact_sheet(self) -> dict:
        return {name: self.cleaned_data[name] for name in FACT_SHEET_FIELDS}
