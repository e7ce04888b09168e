"""A researcher's script through the client generated from moslab's OpenAPI schema (docs/api.md).

    openapi-python-client generate --url URL/api/schema/?format=json ...   (see docs/api.md; the schema needs a token)
    python docs/examples/researcher.py http://127.0.0.1:8000 mlt_... my-study

Lists the studies, takes a dataset version, adds a seeded split, exports the table, downloads it and checks its
SHA-256, launches a NIQE benchmark on the split, polls it and prints the leaderboard. It imports the generated
package `moslab_client`; `run()` is what tests/modeling/runs/test_generated_client.py runs against a live server.
"""
import hashlib
import sys
import time

TERMINAL = {"succeeded", "failed", "cancelled"}


def wait(fetch, *, what: str, timeout: float = 300):
    """Call fetch() until its status is final; give up after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = fetch()
        if str(item.status.value if hasattr(item.status, "value") else item.status) in TERMINAL:
            return item
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not finish within {timeout:.0f} s")


def run(base_url: str, token: str, slug: str) -> dict:
    from moslab_client import AuthenticatedClient
    from moslab_client.api.datasets import (
        datasets_studies_exports_create,
        datasets_studies_exports_download_retrieve,
        datasets_studies_exports_retrieve,
        datasets_studies_versions_create,
        datasets_studies_versions_splits_create,
    )
    from moslab_client.api.runs import runs_studies_benchmarks_create, runs_studies_benchmarks_retrieve
    from moslab_client.api.studies import studies_list
    from moslab_client.models import (
        DeviceEnum,
        ExportCreateInput,
        FormatEnum,
        KindEnum,
        LaunchInput,
        SchemeEnum,
        SplitCreateInput,
        VersionCreateInput,
    )

    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    study = next(s for s in studies_list.sync(client=client, search=slug).results if s.slug == slug)
    version = datasets_studies_versions_create.sync(study.id, client=client, body=VersionCreateInput(label="script"))
    split_version = datasets_studies_versions_splits_create.sync(
        study.id, version.id, client=client,
        body=SplitCreateInput(kind=KindEnum.RATIO, seed=7, ratios="train=7,val=1,test=2"))
    export = datasets_studies_exports_create.sync(
        study.id, client=client, body=ExportCreateInput(version_id=split_version.id, format_=FormatEnum.TABLE_CSV))
    export = wait(lambda: datasets_studies_exports_retrieve.sync(study.id, export.id, client=client), what="export")
    data = datasets_studies_exports_download_retrieve.sync(study.id, export.id, client=client).payload.read()
    if hashlib.sha256(data).hexdigest() != export.sha256:
        raise RuntimeError("the downloaded export does not match its SHA-256")
    launch = LaunchInput(version_id=split_version.id, models=["niqe"], scheme=SchemeEnum.SEEDED,
                         ratios="train=7,val=1,test=2", seed=7, repeats=1, device=DeviceEnum.CPU)
    benchmark = runs_studies_benchmarks_create.sync(study.id, client=client, body=launch)
    benchmark = wait(lambda: runs_studies_benchmarks_retrieve.sync(study.id, benchmark.id, client=client),
                     what="benchmark")
    board = [(row.rank, row.model, row.srcc_mean) for row in benchmark.leaderboard]
    return {"study": study.slug, "version": split_version.number, "export_sha256": export.sha256,
            "export_bytes": len(data), "benchmark": str(benchmark.status.value), "leaderboard": board}


if __name__ == "__main__":
    print(run(*sys.argv[1:4]))
