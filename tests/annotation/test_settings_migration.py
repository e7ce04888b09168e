"""Migration annotation 0004: the scale and raters move from the protocol configs to the study, values kept."""
import importlib

import pytest
from django.apps import apps

from annotation.protocol_services import protocol_current
from studies import services as study_services
from studies.models import StudyProtocol

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("annotation.migrations.0004_study_owns_scale_and_raters")


def test_existing_studies_keep_their_latest_scale_and_raters_and_configs_lose_the_copy(coordinator):
    study = study_services.study_create(name="Old", slug="old", created_by=coordinator)  # 1-5, 5 raters
    untouched = study_services.study_create(name="No protocol", slug="bare", created_by=coordinator,
                                            scale_min=0, scale_max=10, raters_per_stimulus=2)
    StudyProtocol.objects.create(study=study, version=1, created_by=coordinator,
                                 config={"scale": "acr5", "raters_per_stimulus": 2, "block_size": 10})
    StudyProtocol.objects.create(study=study, version=2, created_by=coordinator,
                                 config={"scale": "slider100", "raters_per_stimulus": 3, "block_size": 20})

    MIGRATION.move_to_study(apps, None)

    study.refresh_from_db()
    untouched.refresh_from_db()
    assert (study.scale_min, study.scale_max, study.raters_per_stimulus) == (0, 100, 3), "the latest version's"
    assert (untouched.scale_min, untouched.scale_max, untouched.raters_per_stimulus) == (0, 10, 2)
    assert [v.config for v in study.protocols.order_by("version")] == [{"block_size": 10}, {"block_size": 20}]
    record, protocol = protocol_current(study=study)
    assert record.version == 2 and (protocol.scale, protocol.block_size) == ("slider100", 20), "readable after"

    MIGRATION.copy_back_to_configs(apps, None)
    assert study.protocols.get(version=2).config == {"block_size": 20, "scale": "slider100", "raters_per_stimulus": 3}
