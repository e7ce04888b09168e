"""The seed of each training run stored on it at planning; runs planned before are given the seed they used."""
from django.db import migrations, models


def seeds_of_planned_runs(apps, schema_editor):
    """The rule runs were planned with: the protocol's seed + the run's repeat."""
    TrainingRun = apps.get_model("modeling", "TrainingRun")
    runs = list(TrainingRun.objects.select_related("benchmark").only("pk", "repeat", "benchmark__protocol"))
    for run in runs:
        run.seed = int(run.benchmark.protocol.get("seed", 0)) + run.repeat
    TrainingRun.objects.bulk_update(runs, ["seed"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("modeling", "0001_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="trainingrun",
            name="seed",
            field=models.IntegerField(default=0, help_text="Training, SVR and bootstrap seed: the protocol's seed + "
                                                           "the repeat, fixed when the benchmark is planned."),
            preserve_default=False,
        ),
        migrations.RunPython(seeds_of_planned_runs, migrations.RunPython.noop),
    ]
