"""Dataset versions: snapshots of the latest MOS, hashed on data only, compared, and grown by splits."""
import pytest
from django.urls import reverse

from common.errors import DomainError
from studies import services
from studies.datasets import services as dataset_services
from studies.datasets.inputs import split_spec_from_options
from studies.models import DatasetVersion, Membership, StimulusMos, SubjectReport

pytestmark = pytest.mark.django_db


def ratio_spec(seed=42, **options):
    return split_spec_from_options(kind="ratio", seed=seed, ratios="train=3,test=2", **options)


def test_a_version_snapshots_the_latest_succeeded_computation(rated_study, coordinator):
    version = dataset_services.dataset_version_create(study=rated_study, by=coordinator, label="first")
    computation = version.computation
    assert computation.status == "succeeded" and version.method == "correlation" and version.number == 1
    results = {row.stimulus.name: row for row in StimulusMos.objects.filter(computation=computation)}
    assert len(version.items) == len(results) == 10
    for item in version.items:
        assert item["mos"] == results[item["name"]].mos and item["count"] == results[item["name"]].count
        assert item["groups"]["degradation"] in {"blur", "noise"} and item["source_content"]
    rejected = SubjectReport.objects.filter(computation=computation, rejected=True)
    assert rejected.count() == 1, "the inverted rater is screened out"
    assert [entry["subject"] for entry in version.exclusions] == ["S006"], "exclusions name pseudonyms, not users"
    assert "rater5" not in str(version.exclusions)


def test_the_hash_covers_data_not_provenance(rated_study, coordinator, make_user):
    first = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    again = dataset_services.dataset_version_create(study=rated_study, by=make_user("other"), label="same data")
    assert again.number == 2 and again.content_hash == first.content_hash
    changes = dataset_services.dataset_version_compare(old=first, new=again)
    assert changes["same_content"] and not changes["mos_changed"] and not changes["items_added"]


def test_compare_reports_changed_mos_and_method(rated_study, coordinator):
    first = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    computation = services.mos_computation_start(study=rated_study, by=coordinator, method="mean")
    services.mos_computation_run(computation_id=computation.pk)
    second = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    changes = dataset_services.dataset_version_compare(old=first, new=second)
    assert second.content_hash != first.content_hash and not changes["same_content"]
    assert changes["method_changed"]["method"] == ["correlation", "mean"]
    assert changes["mos_changed"], "putting the inverted rater back moves the MOS"
    for change in changes["mos_changed"]:
        assert abs(change["old"] - change["new"]) > 1e-12


def test_no_version_without_mos(study, coordinator):
    with pytest.raises(DomainError, match="compute MOS first"):
        dataset_services.dataset_version_create(study=study, by=coordinator)
    assert not DatasetVersion.objects.exists()


def test_a_split_makes_a_new_version_reproducible_from_its_seed(rated_study, coordinator):
    base = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    with_split = dataset_services.dataset_split_create(version=base, spec=ratio_spec(), by=coordinator)
    assert with_split.number == 2 and with_split.derived_from == base and with_split.items == base.items
    assert with_split.content_hash != base.content_hash, "splits are part of the hashed data"
    assert base.splits.count() == 0, "the original version never changes"
    split = with_split.splits.get()
    assert split.seed == 42 and split.spec["kind"] == "ratio"
    assert set(split.assignment) == {item["name"] for item in base.items}
    by_source: dict[str, set[str]] = {}
    for item in base.items:
        by_source.setdefault(item["source_content"], set()).add(split.assignment[item["name"]])
    assert all(len(parts) == 1 for parts in by_source.values()), "a source content never spans two parts"
    again = dataset_services.dataset_split_create(version=base, spec=ratio_spec(), by=coordinator)
    assert again.splits.get().assignment == split.assignment and again.content_hash == with_split.content_hash
    other_seed = dataset_services.dataset_split_create(version=base, spec=ratio_spec(seed=7), by=coordinator)
    compared = dataset_services.dataset_version_compare(old=with_split, new=other_seed)
    assert compared["splits_added"] and compared["splits_removed"] and not compared["mos_changed"]


def test_a_split_name_taken_twice_is_refused(rated_study, coordinator):
    base = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    with_split = dataset_services.dataset_split_create(version=base, spec=ratio_spec(), by=coordinator)
    with pytest.raises(DomainError, match="already has split"):
        dataset_services.dataset_split_create(version=with_split, spec=ratio_spec(), by=coordinator)


def test_bad_split_options_say_what_to_fix():
    with pytest.raises(DomainError, match="part=weight"):
        split_spec_from_options(kind="ratio", seed=1, ratios="train:7")
    with pytest.raises(DomainError, match="number of folds"):
        split_spec_from_options(kind="kfold", seed=1)
    with pytest.raises(DomainError, match="Unknown split kind"):
        split_spec_from_options(kind="random", seed=1)


def test_splits_given_at_creation_hash_like_a_split_added_later(rated_study, coordinator):
    base = dataset_services.dataset_version_create(study=rated_study, by=coordinator)
    later = dataset_services.dataset_split_create(version=base, spec=ratio_spec(seed=5), by=coordinator)
    at_once = dataset_services.dataset_version_create(study=rated_study, by=coordinator, split_specs=(ratio_spec(5),))
    assert at_once.derived_from is None and at_once.content_hash == later.content_hash


def test_a_label_too_long_is_refused_not_cut(client, rated_study, coordinator):
    services.membership_add(study=rated_study, user=coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    response = client.post(reverse("studies:dataset-version-create", args=[rated_study.pk]), {"label": "x" * 201},
                           follow=True)
    assert "The label is 201 characters long; shorten it to 200 at most" in response.content.decode()
    assert not DatasetVersion.objects.filter(study=rated_study).exists()
    client.post(reverse("studies:dataset-version-create", args=[rated_study.pk]), {"label": "y" * 200})
    assert DatasetVersion.objects.get(study=rated_study).label == "y" * 200
