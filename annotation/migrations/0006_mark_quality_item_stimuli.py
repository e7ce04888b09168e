"""Mark the stimuli that are already training, qualification or gold items, as the quality-item import now does."""
from django.db import migrations


def mark_quality_item_stimuli(apps, schema_editor):
    QualityItem = apps.get_model("annotation", "QualityItem")
    Stimulus = apps.get_model("studies", "Stimulus")
    Stimulus.objects.filter(pk__in=QualityItem.objects.values("stimulus_id")).update(is_quality_item=True)


class Migration(migrations.Migration):

    dependencies = [
        ("annotation", "0005_crowd_link_and_participants"),
        ("studies", "0012_stimulus_is_quality_item"),
    ]

    operations = [
        migrations.RunPython(mark_quality_item_stimuli, migrations.RunPython.noop),
    ]
