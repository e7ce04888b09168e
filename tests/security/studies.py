"""A rated study with every role: what the security and CSP tests look at."""
from annotation import assignment_services
from studies import services
from studies.datasets import services as dataset_services
from studies.models import Membership
from tests.modeling.test_dashboard_pages import build_rated_study


def staffed_rated_study(*, coordinator, make_user, folder):
    """12 stimuli with MOS, a coordinator, a researcher, an annotator with assigned tasks, a dataset version."""
    study = build_rated_study(coordinator=coordinator, make_user=make_user, folder=folder, raters=2)
    for name, role in (("researcher", Membership.Role.RESEARCHER), ("annotator", Membership.Role.ANNOTATOR)):
        services.membership_add(study=study, user=make_user(name), role=role)
    study.raters_per_stimulus = 1
    study.save()
    assignment_services.assignment_create(study=study, seed=0)
    version = dataset_services.dataset_version_create(study=study, by=coordinator)
    return study, version
