"""Building protocol studies for annotation tests: images with source contents, quality items, annotators."""
from pathlib import Path

from annotation import enrolment_services, protocol_services, quality_services
from studies import services as study_services
from studies.models import Membership, Stimulus, Study
from tests.conftest import write_image
from tests.videos import write_video


def protocol_study(
    *, coordinator, make_user, folder: Path, sources: int = 4, per_source: int = 3, annotators: int = 3,
    training: int = 0, qualification: int = 0, gold: int = 0, config: dict | None = None, slug: str = "proto",
    size=(32, 24), scale: str | None = None, raters_per_stimulus: int | None = None,
):
    """A study with `sources` x `per_source` images, quality items taken from extra images, and annotators.

    `scale` and `raters_per_stimulus` are the study's settings, saved with the protocol `config`."""
    index = 0
    for source in range(sources):
        for variant in range(per_source):
            write_image(folder / f"src{source}_v{variant}.png", seed=index, size=size)
            index += 1
    rows = [f"src{s}_v{v}.png,source{s}\n" for s in range(sources) for v in range(per_source)]
    for kind, count in (("training", training), ("qualification", qualification), ("gold", gold)):
        for number in range(count):
            write_image(folder / f"{kind}{number}.png", seed=1000 + index, size=size)
            rows.append(f"{kind}{number}.png,{kind}{number}\n")
            index += 1
    (folder / "manifest.csv").write_text("file,source_content\n" + "".join(rows))
    study = study_services.study_create(name="Protocol study", slug=slug, created_by=coordinator)
    study_services.stimuli_import(study=study, source=folder, manifest=folder / "manifest.csv")
    protocol_services.protocol_publish(study=study, config=config or {}, by=coordinator, note="test protocol",
                                       scale=scale, raters_per_stimulus=raters_per_stimulus)
    for kind, count in (("training", training), ("qualification", qualification), ("gold", gold)):
        for number in range(count):
            stimulus = Stimulus.objects.get(study=study, name=f"{kind}{number}.png")
            quality_services.quality_item_add(study=study, stimulus=stimulus, kind=kind, reference_score=4,
                                              tolerance=0.5, explanation=f"{kind} {number}: slight noise only.")
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    study.refresh_from_db()
    users = []
    for number in range(annotators):
        user = make_user(f"{slug}-rater{number}")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        users.append(user)
    return study, users


def video_study(
    *, coordinator, make_user, folder: Path, clips: int = 1, frames: int = 24, fps: int = 8, size=(160, 120),
    annotators: int = 1, config: dict | None = None, slug: str = "videos", scale: str | None = None,
    raters_per_stimulus: int | None = None,
):
    """A study of short synthetic VP9 WebM clips with text prompts, imported as stimuli, and its annotators."""
    rows = []
    for number in range(clips):
        write_video(folder / f"clip{number}.webm", frames=frames, fps=fps, size=size, seed=number)
        rows.append(f"clip{number}.webm,clip{number},a red fox running through snow at dusk {number}\n")
    (folder / "manifest.csv").write_text("file,source_content,prompt\n" + "".join(rows))
    study = study_services.study_create(name="Video study", slug=slug, created_by=coordinator)
    study_services.stimuli_import(study=study, source=folder, manifest=folder / "manifest.csv")
    protocol_services.protocol_publish(study=study, config=config or {}, by=coordinator, note="video protocol",
                                       scale=scale, raters_per_stimulus=raters_per_stimulus)
    Study.objects.filter(pk=study.pk).update(status=Study.Status.OPEN)
    study.refresh_from_db()
    users = []
    for number in range(annotators):
        user = make_user(f"{slug}-rater{number}")
        study_services.membership_add(study=study, user=user, role=Membership.Role.ANNOTATOR)
        enrolment_services.enrolment_accept_instructions(
            enrolment=enrolment_services.enrolment_get_or_start(study=study, user=user))
        users.append(user)
    return study, users
