"""Protocol presets of the seed papers: a launch starts from one and changes what it needs."""
from dataclasses import dataclass, field

from moslab_science.benchmarks.protocol import Protocol


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    source: str
    protocol: Protocol
    hyperparameters: dict = field(default_factory=dict)
    models: tuple[str, ...] = ()


PRESETS = {preset.key: preset for preset in (
    Preset(
        key="ntire2024", label="NTIRE 2024 (7:1:2, main score)",
        source="NTIRE 2024 Quality Assessment of AI-Generated Content challenge: 7:1:2 split, main score "
        "(SRCC + PLCC) / 2 with a 3rd-order polynomial fit before PLCC",
        protocol=Protocol(scheme="seeded", ratios=(("train", 7.0), ("val", 1.0), ("test", 2.0)), rank_by="ntire2024"),
        models=("effnet-lite",),
    ),
    Preset(
        key="vquala2025", label="VQualA 2025 (8:1:1, 0.6 SRCC + 0.4 PLCC)",
        source="VQualA 2025 ISRGC-Q challenge on ISRGen-QA: 8:1:1 split, score 0.6 SRCC + 0.4 PLCC",
        protocol=Protocol(scheme="seeded", ratios=(("train", 8.0), ("val", 1.0), ("test", 1.0)), rank_by="vquala2025"),
        models=("effnet-lite",),
    ),
    Preset(
        key="ma-agiqa", label="MA-AGIQA (7:1:2, 30 epochs, batch 8, Adam 1e-5, MSE)",
        source="MA-AGIQA (ACM MM 2024): 7:1:2 split, 30 epochs, batch 8, Adam lr 1e-5, MSE loss, checkpoint "
        "chosen by validation SRCC + PLCC",
        protocol=Protocol(scheme="seeded", ratios=(("train", 7.0), ("val", 1.0), ("test", 2.0)), rank_by="srcc"),
        hyperparameters={"optim": {"name": "adam", "lr": 1e-5, "head_lr_ratio": 1.0},
                         "train": {"epochs": 30, "batch_size": 8, "loss": "mse", "select_metric": "srcc_plcc"}},
        models=("maniqa",),
    ),
    Preset(
        key="au-iqa", label="AU-IQA (zero-shot, per enhancement type and model)",
        source="AU-IQA: pretrained quality models scored zero-shot on every image, reported per enhancement "
        "type and enhancement model",
        protocol=Protocol(scheme="zero_shot", ratios=(), group_column="enhancer", rank_by="srcc"),
        models=("niqe",),
    ),
    Preset(
        key="custom", label="Custom", source="A protocol set by hand",
        protocol=Protocol(scheme="seeded"),
    ),
)}
