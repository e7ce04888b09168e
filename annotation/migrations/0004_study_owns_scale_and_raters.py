"""The study owns its scale and raters per stimulus: move them out of every protocol config.

Until now the protocol config held `scale` and `raters_per_stimulus` and publishing copied them onto
the study. The study keeps the values of its latest version (equal already, by that copy); every
version's config loses the two keys. Backwards, each config gets the study's current values again.
"""
from django.db import migrations

SCALES = {"acr5": (1.0, 5.0), "slider100": (0.0, 100.0)}  # as moslab_science.rating.protocol.SCALES then
MOVED = ("scale", "raters_per_stimulus")


def move_to_study(apps, schema_editor):
    Study = apps.get_model("studies", "Study")
    StudyProtocol = apps.get_model("studies", "StudyProtocol")
    for study in Study.objects.filter(protocols__isnull=False).distinct():
        latest = StudyProtocol.objects.filter(study=study).order_by("-version").first().config
        if latest.get("scale") in SCALES:
            study.scale_min, study.scale_max = SCALES[latest["scale"]]
        if isinstance(latest.get("raters_per_stimulus"), int) and latest["raters_per_stimulus"] >= 1:
            study.raters_per_stimulus = latest["raters_per_stimulus"]
        study.save(update_fields=["scale_min", "scale_max", "raters_per_stimulus"])
    for version in StudyProtocol.objects.all():
        if any(key in version.config for key in MOVED):
            version.config = {key: value for key, value in version.config.items() if key not in MOVED}
            version.save(update_fields=["config"])


def copy_back_to_configs(apps, schema_editor):
    StudyProtocol = apps.get_model("studies", "StudyProtocol")
    names = {scale: name for name, scale in SCALES.items()}
    for version in StudyProtocol.objects.select_related("study"):
        study = version.study
        scale = names.get((study.scale_min, study.scale_max), "slider100")
        version.config = {**version.config, "scale": scale, "raters_per_stimulus": study.raters_per_stimulus}
        version.save(update_fields=["config"])


class Migration(migrations.Migration):
    dependencies = [
        ("annotation", "0003_enrolment_study_votes"),
        ("studies", "0006_t2vqa_export_format"),
    ]

    operations = [migrations.RunPython(move_to_study, copy_back_to_configs)]
