"""Seed bench/bench_http.py's database: one open study of STIMULI images (DISTINCT_FILES real PNG files in the
media storage), RATERS places each, ANNOTATORS enrolled annotators with a logged-in session each.

    python bench/bench_http_seed.py ANNOTATORS STIMULI RATERS DISTINCT_FILES   (environment: bin/serve's)
Prints the study id and the sessions (session and CSRF cookies) as JSON on its last line.
"""
import json
import secrets
import sys
from importlib import import_module
from io import BytesIO
from pathlib import Path

import django
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection  # noqa: E402
from PIL import Image  # noqa: E402

from annotation import enrolment_services, protocol_services  # noqa: E402
from studies import services as study_services  # noqa: E402
from studies.models import Membership, Stimulus, Study  # noqa: E402

WIDTH, HEIGHT = 512, 384


def main(annotators: int, stimuli: int, raters: int, distinct_files: int) -> None:
    users = get_user_model()
    owner = users.objects.create_user("bench-coord", password=secrets.token_urlsafe(16))
    study = study_services.study_create(name="HTTP bench", slug="http-bench", created_by=owner,
                                        raters_per_stimulus=raters)
    rng = np.random.default_rng(0)
    for index in range(distinct_files):  # smooth gradients plus noise: PNGs of a realistic size
        ramp = np.linspace(0, 255, WIDTH, dtype=np.float32)[None, :, None]
        pixels = np.clip(ramp + rng.normal(0, 12, size=(HEIGHT, WIDTH, 3)) + index, 0, 255).astype(np.uint8)
        buffer = BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        default_storage.save(f"bench/{index}.png", ContentFile(buffer.getvalue()))
    Stimulus.objects.bulk_create([
        Stimulus(study=study, name=f"s{i:05d}.png", file=f"bench/{i % distinct_files}.png", sha256=f"{i:064x}",
                 size_bytes=1, image_format="PNG", width=WIDTH, height=HEIGHT, source_content=f"src{i // 4}")
        for i in range(stimuli)
    ])
    protocol_services.protocol_publish(study=study, by=owner, config={"block_size": 20, "break_seconds": 0,
                                                                      "gold_every": 0})
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    engine = import_module(settings.SESSION_ENGINE)
    sessions = []
    for index in range(annotators):
        user = users.objects.create_user(f"bench-{index:02d}", password=secrets.token_urlsafe(16))
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        session = engine.SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.save()
        sessions.append({"sessionid": session.session_key, "csrftoken": secrets.token_hex(16)})
    with connection.cursor() as cursor:  # planner statistics, as autovacuum gathers them within a minute of an import
        cursor.execute("ANALYZE")
    print(json.dumps([study.pk, sessions]))


if __name__ == "__main__":
    main(*(int(value) for value in sys.argv[1:5]))
