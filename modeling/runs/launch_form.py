"""The launch form of the admin: a preset, then only what changes. Blank fields take the preset's values.

It has no traps: the latest dataset version is preselected, the device defaults to what a live gpu worker reports
(modeling.devices) and CUDA is refused when none has it, and models whose pretrained weights are not in place are
marked with what to place. The admin page's script (static/js/launch_form.js) fills in a chosen preset's values.
"""
import json

from django import forms

from common.errors import DomainError
from modeling import devices
from modeling.models import Device, WorkerDevice
from modeling.runs.services import MAX_TIME_LIMIT_MINUTES, time_limit_from_minutes
from moslab_science.benchmarks import CLASSICAL_MODELS, PRESETS, RANK_METRICS, SCHEMES
from moslab_science.benchmarks.configs import architecture_names, missing_weights
from moslab_science.benchmarks.launch import PROTOCOL_FIELDS, launch_request
from moslab_science.datasets.ratios import SYNTAXES, parse_ratios
from studies.datasets.inputs import parse_names
from studies.models import DatasetVersion


class BenchmarkLaunchForm(forms.Form):
    version = forms.ModelChoiceField(queryset=DatasetVersion.objects.none(), help_text="The dataset version to run on.")
    preset = forms.ChoiceField(choices=[(key, preset.label) for key, preset in PRESETS.items()],
                               help_text="The protocol to start from; the fields below change only what they name.")
    models = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text="Empty: the preset's models.")
    trained_runs = forms.CharField(required=False, help_text="Earlier runs' checkpoints scored on this version, "
                                   "another study's too (cross-dataset): run:12, run:15")
    scheme = forms.ChoiceField(required=False, choices=[("", "(the preset's)")] + [(s, s.replace("_", " "))
                                                                                   for s in SCHEMES])
    ratios = forms.CharField(required=False, help_text=f"Seeded splits: {SYNTAXES}.")
    seed = forms.IntegerField(required=False, min_value=0, help_text="Split and training seed of the first repeat.")
    repeats = forms.IntegerField(required=False, min_value=1, max_value=20, help_text="Repeated splits, seeds seed..")
    split = forms.CharField(required=False, help_text="Stored split: the name of the version's split.")
    cross_column = forms.CharField(required=False, help_text="Cross-group: the group column.")
    train_groups = forms.CharField(required=False, help_text="Cross-group: values trained on, comma-separated.")
    test_groups = forms.CharField(required=False, help_text="Cross-group: values tested on, comma-separated.")
    group_column = forms.CharField(required=False, help_text="Per-group tables, e.g. enhancer or source_subset.")
    rank_by = forms.ChoiceField(required=False, choices=[("", "(the preset's)")] + list(RANK_METRICS.items()))
    hyperparameters = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text='JSON laid over the preset\'s and each architecture\'s defaults, e.g. {"train": {"epochs": 5}} '
        'or {"preset": "tiny"} for tiny test models.')
    device = forms.ChoiceField(choices=Device.choices, help_text="Defaults to CUDA when a live gpu worker has it "
                                                                 "(the worker inventory below), else CPU.")
    time_limit_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_TIME_LIMIT_MINUTES, label="Time limit per run (minutes)",
        help_text="Each trained run stops cleanly by then with its best validated epoch scored and its step kept "
                  "(Retry resumes from it); empty: no limit.")
    name = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        if not self.initial.get("version"):
            latest = versions.order_by("-created_at", "-pk").first()
            self.initial["version"] = latest.pk if latest else None
        self.initial.setdefault("device", devices.default_device())
        self.fields["device"].choices = [(Device.CUDA, cuda_label(devices.live_cuda_workers())),
                                         (Device.CPU, Device.CPU.label)]
        self.missing_weights = missing_weights()
        self.fields["models"].choices = [
            (name, f"{name} (weights missing: see below)" if name in self.missing_weights else name)
            for name in [*architecture_names(), *CLASSICAL_MODELS]]

    def clean_device(self) -> str:
        device = self.cleaned_data["device"]
        problem = devices.device_problem(device)
        if problem:
            raise forms.ValidationError(problem)
        return device

    def clean_hyperparameters(self) -> dict:
        text = self.cleaned_data["hyperparameters"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError('Give a JSON object, e.g. {"train": {"epochs": 5}}.')
        return value

    def clean_ratios(self) -> str:
        text = self.cleaned_data["ratios"].strip()
        if text:
            try:
                parse_ratios(text)
            except DomainError as error:
                raise forms.ValidationError(str(error)) from None
        return text

    def launch_arguments(self) -> dict:
        """The arguments of run_services.benchmark_launch: the preset with the form's changes."""
        data = self.cleaned_data
        changes = {key: parse_names(data[key]) if key.endswith("_groups") else data[key] for key in PROTOCOL_FIELDS}
        request = launch_request(preset=data["preset"], changes=changes, hyperparameters=data["hyperparameters"],
                                 models=[*data["models"], *parse_names(data["trained_runs"])])
        return {"version": data["version"], "preset": request.preset, "models": request.models,
                "protocol": request.protocol, "hyperparameters": request.hyperparameters, "device": data["device"],
                "name": data["name"].strip(),
                "time_limit_seconds": time_limit_from_minutes(data["time_limit_minutes"])}


def cuda_label(workers: list[WorkerDevice]) -> str:
    """The CUDA choice, saying which live gpu worker has which device (or that none has one)."""
    if not workers:
        return f"{Device.CUDA.label} (no live gpu worker has one)"
    found = [f"{device['name']}, {devices.memory_text(device['memory_bytes'])} on {worker.worker}"
             for worker in workers for device in worker.cuda_devices]
    return f"{Device.CUDA.label} ({'; '.join(found)})"


def preset_values() -> dict[str, dict]:
    """Each preset's values as the form's fields show them, for the page's script to fill in."""
    values = {}
    for key, preset in PRESETS.items():
        protocol = preset.protocol
        values[key] = {
            "models": list(preset.models), "scheme": protocol.scheme, "ratios": protocol.ratio_text(),
            "seed": protocol.seed, "repeats": protocol.repeats, "split": protocol.split,
            "cross_column": protocol.cross_column, "train_groups": ", ".join(protocol.train_groups),
            "test_groups": ", ".join(protocol.test_groups), "group_column": protocol.group_column,
            "rank_by": protocol.rank_by,
            "hyperparameters": json.dumps(preset.hyperparameters) if preset.hyperparameters else "",
        }
    return values
