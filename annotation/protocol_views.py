"""The coordinator's protocol page: edit every setting; saving publishes a new version."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from annotation import protocol_services, quality_services, selectors
from annotation.protocol_forms import (
    STUDY_SETTINGS,
    AspectFormSet,
    DimensionFormSet,
    ExampleFormSet,
    ProtocolForm,
    SeverityFormSet,
    config_from,
    initial_from,
)
from common.body_limits import body_limit
from common.errors import DomainError
from common.views import scoped
from moslab_science.csv_table import decode_text
from studies import selectors as study_selectors
from studies.models import Membership

MAX_QUALITY_CSV_BYTES = 1024 * 1024


@login_required
@require_http_methods(["GET", "POST"])
@scoped
def protocol_edit(request, study_id: int):
    study = study_selectors.study_get_for_user(study_id=study_id, user=request.user,
                                               roles=[Membership.Role.COORDINATOR])
    record, protocol = protocol_services.protocol_current(study=study)
    images = {"image_names": selectors.stimulus_names(study=study)}
    problems: list[str] = []
    if request.method == "POST":
        form = ProtocolForm(request.POST)
        aspects = AspectFormSet(request.POST, prefix="aspects")
        severities = SeverityFormSet(request.POST, prefix="severities")
        examples = ExampleFormSet(request.POST, prefix="examples", form_kwargs=images)
        dimensions = DimensionFormSet(request.POST, prefix="dimensions")
        if all(part.is_valid() for part in (form, aspects, severities, examples, dimensions)):
            config = config_from(form, aspects, severities, examples, dimensions)
            try:
                published = protocol_services.protocol_publish(
                    study=study, config=config, by=request.user, note=form.cleaned_data["note"],
                    **{key: form.cleaned_data[key] for key in STUDY_SETTINGS})
            except DomainError as error:
                problems.append(str(error))
            else:
                messages.info(request, f"Protocol version {published.version} published; new votes use it.")
                return redirect("annotation:protocol", study_id=study.pk)
        else:
            problems.append("Some settings need fixing; see the messages next to them.")
    else:
        values, aspect_rows, severity_rows, example_rows, dimension_rows = initial_from(
            protocol, raters_per_stimulus=study.raters_per_stimulus)
        form = ProtocolForm(initial=values)
        aspects = AspectFormSet(initial=aspect_rows, prefix="aspects")
        severities = SeverityFormSet(initial=severity_rows, prefix="severities")
        examples = ExampleFormSet(initial=example_rows, prefix="examples", form_kwargs=images)
        dimensions = DimensionFormSet(initial=dimension_rows, prefix="dimensions")
        dimensions.extra = 1 if dimension_rows else 3  # room for e.g. technical, aesthetic, alignment at once
    context = {
        "study": study, "form": form, "aspects": aspects, "severities": severities, "examples": examples,
        "dimensions": dimensions,
        "problems": problems,
        "current": record, "versions": selectors.protocol_versions(study=study),
        "quality_counts": selectors.quality_item_counts(study=study),
    }
    return render(request, "annotation/protocol_edit.html", context, status=400 if problems else 200)


@login_required
@require_POST
@scoped
@body_limit(MAX_QUALITY_CSV_BYTES)
def quality_items_upload(request, study_id: int):
    """Training, qualification and gold images from a CSV (file, kind, reference_score, tolerance, explanation),
    all or nothing, every problem listed; the same service as `manage.py quality_items` and the API."""
    study = study_selectors.study_get_for_user(study_id=study_id, user=request.user,
                                               roles=[Membership.Role.COORDINATOR])
    upload = request.FILES.get("items")
    try:
        if upload is None:
            raise DomainError("Choose a CSV file of quality items first.")
        if upload.size > MAX_QUALITY_CSV_BYTES:
            raise DomainError(f"The CSV is over {MAX_QUALITY_CSV_BYTES // 1024} KB; split it.")
        text = decode_text(upload.read(), label="The CSV")
        count = quality_services.quality_items_import(study=study, text=text)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"{count} quality item{'s' if count != 1 else ''} set.")
    return redirect("annotation:protocol", study_id=study.pk)
