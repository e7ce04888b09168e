"""``manage.py dataset import|version|split|export|compare``: the dataset services from the command line."""
import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from moslab_science.datasets.ratios import SYNTAXES
from moslab_science.progress import eta_reporter
from studies.datasets import services as dataset_services
from studies.datasets.imports import FORMATS, dataset_import
from studies.datasets.inputs import IMPORT_OPTION_FIELDS, SPLIT_KINDS, import_options, split_spec_from_options
from studies.models import DatasetExport, DatasetVersion, Study

OPTION_HELP = {
    "split_map": "Rename the official split's values, e.g. 0=train,1=val,2=test.",
    "question_id": "suJSON: the question whose scores to import (files that score several).",
}


class Command(BaseCommand):
    help = "Import public datasets, take dataset versions, add splits and export them."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        imp = actions.add_parser("import", help="Import a dataset as a new study, all or nothing.")
        imp.add_argument("slug")
        imp.add_argument("source", type=Path, help="The table (or suJSON file, or export bundle zip).")
        imp.add_argument("--format", required=True, choices=FORMATS, dest="source_format")
        imp.add_argument("--name", help="The study's name (default: the slug).")
        imp.add_argument("--images", type=Path, help="A folder or zip of the images; none for ratings only.")
        imp.add_argument("--scale", nargs=2, type=float, metavar=("LO", "HI"))
        for option in IMPORT_OPTION_FIELDS:
            imp.add_argument(f"--{option.replace('_', '-')}", default="", dest=option, help=OPTION_HELP.get(option))
        self._by(imp)
        version = actions.add_parser("version", help="Take a dataset version from the latest MOS.")
        version.add_argument("slug")
        version.add_argument("--label", default="")
        version.add_argument("--dimension", default="", help="The rating dimension to snapshot (default: the single "
                                                             "score).")
        self._by(version)
        split = actions.add_parser("split", help="Add a split to a version (this makes a new version).")
        split.add_argument("slug")
        split.add_argument("version", type=int, help="The version number.")
        split.add_argument("--kind", choices=SPLIT_KINDS, default="ratio")
        split.add_argument("--seed", type=int, required=True)
        split.add_argument("--ratios", default="train=7,val=1,test=2", help=f"The parts' weights: {SYNTAXES}.")
        split.add_argument("--repeats", type=int, default=1)
        for option in ("folds", "mos_quantiles"):
            split.add_argument(f"--{option.replace('_', '-')}", type=int, dest=option)
        for option in ("group_by", "stratify_by", "cross_column", "train_groups", "test_groups"):
            split.add_argument(f"--{option.replace('_', '-')}", default="source_content" if option == "group_by"
                               else "", dest=option)
        self._by(split)
        export = actions.add_parser("export", help="Export a version here and now, writing the file to --out.")
        export.add_argument("slug")
        export.add_argument("version", type=int, help="The version number.")
        export.add_argument("--format", required=True, choices=DatasetExport.Format.values, dest="export_format")
        export.add_argument("--split", default="", help="The split's name (Q-Align needs one).")
        export.add_argument("--out", type=Path, required=True)
        self._by(export)
        compare = actions.add_parser("compare", help="What changed between two versions.")
        compare.add_argument("slug")
        compare.add_argument("old", type=int)
        compare.add_argument("new", type=int)

    @staticmethod
    def _by(parser):
        parser.add_argument("--by", default="", help="The user acting (default: the study's creator; "
                                                      "for import: the first superuser).")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except DomainError as error:
            raise CommandError(str(error)) from None

    def _user(self, username: str, study: Study | None = None):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
        else:
            user = study.created_by if study else users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError(f"No user {username!r}; give an existing one with --by." if username
                               else "No superuser to act as; give --by USERNAME.")
        return user

    def _study(self, slug: str) -> Study:
        study = Study.objects.filter(slug=slug).first()
        if study is None:
            raise CommandError(f"No study with the slug {slug!r}.")
        return study

    def _version(self, study: Study, number: int) -> DatasetVersion:
        version = DatasetVersion.objects.filter(study=study, number=number).first()
        if version is None:
            raise CommandError(f"{study.slug} has no dataset version {number}.")
        return version

    def do_import(self, *, slug, source, source_format, name, images, scale, by, **options):
        given = {key: options[key] for key in IMPORT_OPTION_FIELDS}
        report = dataset_import(
            name=name or slug, slug=slug, by=self._user(by), source_format=source_format, source=source,
            images=images, scale=tuple(scale) if scale else None,
            options=import_options(source_format=source_format, **given),
            progress=lambda step: eta_reporter(step, self.stdout.write),
        )
        done = "Imported" if report.created else "Already imported, nothing changed:"
        self.stdout.write(self.style.SUCCESS(f"{done} {report.stimuli} stimuli ({report.with_media} with images) "
                                             f"and {report.votes} votes into study {slug!r}."))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))

    def do_version(self, *, slug, label, dimension, by, **options):
        study = self._study(slug)
        version = dataset_services.dataset_version_create(study=study, by=self._user(by, study), label=label,
                                                          dimension=dimension)
        of = f", dimension {version.dimension}" if version.dimension else ""
        self.stdout.write(self.style.SUCCESS(
            f"Version {version.number} of {slug}{of}: {len(version.items)} stimuli, method {version.method}, "
            f"content hash {version.content_hash}"
        ))

    def do_split(self, *, slug, version, seed, by, **options):
        study = self._study(slug)
        keys = ("kind", "ratios", "repeats", "folds", "mos_quantiles", "group_by", "stratify_by", "cross_column",
                "train_groups", "test_groups")
        spec = split_spec_from_options(seed=seed, **{key: options[key] for key in keys})
        derived = dataset_services.dataset_split_create(version=self._version(study, version), spec=spec,
                                                        by=self._user(by, study))
        names = ", ".join(derived.splits.values_list("name", flat=True))
        self.stdout.write(self.style.SUCCESS(f"Version {derived.number} ({derived.content_hash}) splits: {names}"))

    def do_export(self, *, slug, version, export_format, split, out, by, **options):
        study = self._study(slug)
        target = self._version(study, version)
        split_row = target.splits.filter(name=split).first() if split else None
        if split and split_row is None:
            raise CommandError(f"Version {version} has no split named {split!r}.")
        export = dataset_services.dataset_export_start(version=target, export_format=export_format, split=split_row,
                                                       by=self._user(by, study), enqueue=False)
        export = dataset_services.dataset_export_run(export_id=export.pk)
        if export.status != DatasetExport.Status.SUCCEEDED:
            raise CommandError(f"The export failed: {export.error}")
        with export.file.open("rb") as source, out.open("wb") as destination:
            shutil.copyfileobj(source, destination)
        self.stdout.write(self.style.SUCCESS(f"Wrote {out} ({export.size_bytes} bytes, sha256 {export.sha256})"))

    def do_compare(self, *, slug, old, new, **options):
        study = self._study(slug)
        changes = dataset_services.dataset_version_compare(old=self._version(study, old), new=self._version(study, new))
        for key, value in changes.items():
            self.stdout.write(f"{key}: {value}")
