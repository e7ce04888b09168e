"""The runs API: researchers launch, cancel and retry; coordinators read; annotators and strangers get nothing."""
import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from modeling.models import BenchmarkRun, RunStatus
from modeling.runs import api as run_api
from studies import services
from studies.datasets import services as dataset_services
from studies.models import Membership
from tests.modeling.runs.helpers import execute_all

pytestmark = pytest.mark.django_db
BASE = "/api/runs/studies/{study}/benchmarks/"
CLASSICAL = {"preset": "custom", "models": ["niqe", "brisque"], "scheme": "seeded", "ratios": "train=7,val=1,test=2",
             "repeats": 2, "seed": 3, "group_column": "enhancer", "device": "cpu"}


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def api(client, dataset_version):
    class Api:
        base = BASE.format(study=dataset_version.study_id)

        def launch(self, capture, **body):
            with capture(execute=False):
                return post(client, self.base, {"version_id": dataset_version.pk, **body})

    return Api()


def test_a_researcher_launches_a_benchmark_and_reads_its_leaderboard_and_runs(
        client, api, researcher, dataset_version, django_capture_on_commit_callbacks):
    client.force_login(researcher)
    answer = api.launch(django_capture_on_commit_callbacks, **CLASSICAL)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["model_names"] == ["niqe", "brisque"] and body["status"] == "queued" and body["leaderboard"] == []
    tested = sum(part == "test" for part in BenchmarkRun.objects.get(pk=body["id"]).training_runs.first()
                 .assignment.values())
    assert body["warnings"] == [f"The test part has only {tested} items (fewer than 30): the models' confidence "
                                "intervals are wide and a ranking on it means little. Use more images or a larger "
                                "test ratio."]
    assert body["protocol"]["seed"] == 3 and body["protocol"]["group_column"] == "enhancer"
    assert "2 repeated splits, seeds 3..4" in body["protocol_text"]
    assert body["runs"] == {"total": 4, "mean_progress": 0.0, "queued": 4, "running": 0, "succeeded": 0,
                            "failed": 0, "cancelled": 0}
    assert [(run["model"], run["repeat"], run["status"]) for run in body["training_runs"]] == [
        ("niqe", 0, "queued"), ("brisque", 0, "queued"), ("niqe", 1, "queued"), ("brisque", 1, "queued")]

    benchmark = execute_all(BenchmarkRun.objects.get(pk=body["id"]))
    assert benchmark.status == RunStatus.SUCCEEDED
    detail = client.get(f"{api.base}{benchmark.pk}/").json()
    assert set(detail) == set(run_api.BenchmarkDetailOutput().fields)
    ranks = [row["rank"] for row in detail["leaderboard"]]
    assert ranks in ([1, 1], [1, 2])  # tied models share a rank; only a lone first group is best
    assert [row["best"] for row in detail["leaderboard"]] == [ranks == [1, 2], False]
    assert "paired bootstrap" in detail["ranking_note"] and "fewer than 30" in detail["ranking_note"]
    assert {row["model"] for row in detail["leaderboard"]} == {"niqe", "brisque"}
    assert set(detail["leaderboard"][0]) == set(run_api.LeaderboardRowOutput().fields)
    assert detail["leaderboard"][0]["srcc_mean"] >= detail["leaderboard"][1]["srcc_mean"]
    first = detail["training_runs"][0]
    assert first["status"] == "succeeded" and first["test"]["n"] == len(
        [p for p in benchmark.training_runs.get(pk=first["id"]).assignment.values() if p == "test"])

    run = client.get(f"{api.base}{benchmark.pk}/runs/{first['id']}/").json()
    assert set(run) == set(run_api.TrainingRunDetailOutput().fields)
    assert run["result"]["srcc"] == pytest.approx(first["test"]["srcc"]) and "by_group" in run["result"]
    assert "attempt 1 started on test" in run["log_tail"] and run["config"]["method"] == "niqe"
    assert len(run["predictions"]) == run["result"]["n"]
    listed = client.get(api.base).json()
    assert listed["count"] == 1 and listed["next"] is None
    assert [entry["id"] for entry in listed["results"]] == [benchmark.pk]
    assert listed["results"][0]["runs"]["succeeded"] == 4
    assert client.get(api.base, {"status": "succeeded", "version_id": benchmark.version_id}).json()["count"] == 1
    assert client.get(api.base, {"status": "queued"}).json()["count"] == 0
    assert client.get(api.base, {"version_id": "x"}).status_code == 400


def test_a_preset_fills_what_the_launch_leaves_out_and_hyperparameters_merge_over_it(
        client, api, researcher, django_capture_on_commit_callbacks):
    client.force_login(researcher)
    zero_shot = api.launch(django_capture_on_commit_callbacks, preset="au-iqa", device="cpu").json()
    assert zero_shot["model_names"] == ["niqe"] and zero_shot["preset"] == "au-iqa"
    assert zero_shot["protocol"]["scheme"] == "zero_shot" and zero_shot["protocol"]["group_column"] == "enhancer"
    answer = api.launch(django_capture_on_commit_callbacks, preset="ma-agiqa", models=["effnet-lite"], device="cpu",
                        hyperparameters={"preset": "tiny", "train": {"epochs": 2}})
    assert answer.status_code == 201, answer.json()
    hyperparameters = answer.json()["hyperparameters"]
    assert hyperparameters["train"] == {"epochs": 2, "batch_size": 8, "loss": "mse", "select_metric": "srcc_plcc"}
    assert hyperparameters["optim"]["lr"] == 1e-5 and hyperparameters["preset"] == "tiny"
    run = BenchmarkRun.objects.get(pk=answer.json()["id"]).training_runs.get()
    assert run.config["train"]["epochs"] == 2 and run.epochs == 2


def test_launches_the_domain_refuses_answer_400_with_what_to_fix(
        client, api, researcher, dataset_version, coordinator, django_capture_on_commit_callbacks, tmp_path):
    client.force_login(researcher)
    capture = django_capture_on_commit_callbacks
    unknown = api.launch(capture, **{**CLASSICAL, "models": ["resnet9000"]})
    assert unknown.status_code == 400 and "unknown model 'resnet9000'" in unknown.json()["detail"]
    ratios = api.launch(capture, **{**CLASSICAL, "ratios": "train=7,val"})
    assert ratios.status_code == 400 and "part=weight" in ratios.json()["detail"]
    problems = api.launch(capture, **{**CLASSICAL, "scheme": "stored_split", "split": "official"})
    assert problems.status_code == 400 and problems.json()["detail"] == "The benchmark cannot be launched."
    assert any("runs once" in problem for problem in problems.json()["problems"])
    invalid = api.launch(capture, **{**CLASSICAL, "preset": "nope", "repeats": 0})
    assert invalid.status_code == 400 and set(invalid.json()) == {"preset", "repeats"}
    twice = [api.launch(capture, **CLASSICAL) for _ in range(2)]
    assert twice[0].status_code == 201 and twice[1].status_code == 400
    assert f"already queued as #{twice[0].json()['id']}" in twice[1].json()["detail"]

    from studies.datasets.imports import dataset_import
    from tests.modeling.runs.conftest import write_dataset
    table, images = write_dataset(tmp_path / "other", count=12)
    other = dataset_import(name="Other", slug="other", by=coordinator, source_format="mos_table", source=table,
                           images=images, scale=(1, 5), options={"name": "image", "mos": "mos"}).study
    foreign = dataset_services.dataset_version_create(study=other, by=coordinator)
    with capture(execute=False):
        answer = post(client, api.base, {**CLASSICAL, "version_id": foreign.pk})
    assert answer.status_code == 403 and "No such dataset version in this study" in answer.json()["detail"]
    assert BenchmarkRun.objects.count() == 1


def test_cancel_and_retry_answer_how_many_runs_they_touched(
        client, api, researcher, django_capture_on_commit_callbacks):
    client.force_login(researcher)
    benchmark = api.launch(django_capture_on_commit_callbacks, **CLASSICAL).json()
    url = f"{api.base}{benchmark['id']}/"
    early = post(client, f"{url}retry/")
    assert early.status_code == 400 and "is still queued" in early.json()["detail"]
    cancelled = post(client, f"{url}cancel/").json()
    assert cancelled["runs"] == 4 and cancelled["benchmark"]["status"] == "cancelled"
    assert cancelled["benchmark"]["runs"]["cancelled"] == 4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = post(client, f"{url}retry/").json()
    assert retried["runs"] == 4 and retried["benchmark"]["status"] == "queued" and len(callbacks) == 4
    assert client.get(f"{url}cancel/").status_code == 405


def test_coordinators_read_only_and_annotators_and_strangers_get_403_everywhere(
        client, api, researcher, coordinator, make_user, dataset_version, django_capture_on_commit_callbacks):
    client.force_login(researcher)
    benchmark = execute_all(BenchmarkRun.objects.get(
        pk=api.launch(django_capture_on_commit_callbacks, **{**CLASSICAL, "models": ["niqe"]}).json()["id"]))
    run = benchmark.training_runs.first()
    BenchmarkRun.objects.filter(pk=benchmark.pk).update(status=RunStatus.FAILED)
    benchmark.training_runs.filter(pk=run.pk).update(status=RunStatus.FAILED)
    reads = [api.base, f"{api.base}{benchmark.pk}/", f"{api.base}{benchmark.pk}/runs/{run.pk}/"]
    writes = [api.base, f"{api.base}{benchmark.pk}/cancel/", f"{api.base}{benchmark.pk}/retry/"]

    client.force_login(coordinator)
    assert [client.get(url).status_code for url in reads] == [200, 200, 200]
    for url in writes:
        answer = post(client, url, {**CLASSICAL, "version_id": dataset_version.pk})
        assert answer.status_code == 403 and "Only the study's researchers" in answer.json()["detail"], url
    assert BenchmarkRun.objects.count() == 1 and benchmark.training_runs.get(pk=run.pk).attempt == 1

    annotator = make_user("ann")
    services.membership_add(study=dataset_version.study, user=annotator, role=Membership.Role.ANNOTATOR)
    for user in (annotator, make_user("stranger")):
        client.force_login(user)
        for url in reads:
            answer = client.get(url)
            assert answer.status_code == 403 and answer.json()["detail"].startswith("No such study"), url
            assert "leaderboard" not in answer.json()
        for url in writes:
            assert post(client, url, CLASSICAL).status_code == 403
    client.logout()
    assert client.get(reads[1]).status_code == 403


def test_the_schema_describes_the_runs_api_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    views = [name for name, value in vars(run_api).items() if isinstance(value, type) and name.endswith("Api")]
    warnings = list({**GENERATOR_STATS._warn_cache, **GENERATOR_STATS._error_cache})
    assert len(views) == 5 and warnings == []
    paths = schema["paths"]
    launch = paths["/api/runs/studies/{study_id}/benchmarks/"]["post"]
    body = launch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][body]["required"] == ["version_id"]
    assert "201" in launch["responses"]
    detail = paths["/api/runs/studies/{study_id}/benchmarks/{benchmark_id}/"]["get"]["responses"]["200"]
    name = detail["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    leaderboard = schema["components"]["schemas"][name]["properties"]["leaderboard"]
    assert leaderboard["items"]["$ref"].endswith("/LeaderboardRowOutput")
    for path in ("cancel/", "retry/", "runs/{run_id}/"):
        assert f"/api/runs/studies/{{study_id}}/benchmarks/{{benchmark_id}}/{path}" in paths
