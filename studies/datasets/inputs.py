"""Turning what a form, the API or the command line sends into a SplitSpec, with a clear error when it is wrong."""
from common.errors import DomainError
from moslab_science.datasets import SplitSpec
from moslab_science.datasets.ratios import parse_ratios
from moslab_science.datasets.splits import MAX_SEED

SPLIT_KINDS = ("ratio", "kfold", "cross_group")


def parse_seed(value: object) -> int:
    """A seed as typed in a form or sent by the API; its range is checked with the rest of the split."""
    try:
        return int(str(value).strip())
    except ValueError:
        raise DomainError(f"The seed must be a whole number between 0 and {MAX_SEED}; got {value!r}.") from None


def parse_names(text: str) -> tuple[str, ...]:
    """Names separated by commas or line breaks, blanks dropped."""
    return tuple(filter(None, (piece.strip() for piece in text.replace("\n", ",").split(","))))


def split_spec_from_options(
    *, kind: str, seed: int, ratios: str = "train=7,val=1,test=2", repeats: int = 1, folds: int | None = None,
    group_by: str = "source_content", stratify_by: str = "", mos_quantiles: int | None = None,
    cross_column: str = "", train_groups: str = "", test_groups: str = "",
) -> SplitSpec:
    if kind not in SPLIT_KINDS:
        raise DomainError(f"Unknown split kind {kind!r}; choose one of {', '.join(SPLIT_KINDS)}.")
    if kind == "kfold" and not folds:
        raise DomainError("A k-fold split needs the number of folds (2 or more).")
    if kind == "cross_group" and not (cross_column and train_groups and test_groups):
        raise DomainError("A cross-group split needs the group column and the groups to train and to test on.")
    try:
        return SplitSpec(
            kind=kind, ratios=parse_ratios(ratios) if ratios else (), seed=parse_seed(seed), repeats=int(repeats),
            folds=int(folds) if folds else None, group_by=group_by, stratify_by=stratify_by or None,
            mos_quantiles=int(mos_quantiles) if mos_quantiles else None, cross_column=cross_column or None,
            train_groups=parse_names(train_groups), test_groups=parse_names(test_groups),
        )
    except (TypeError, ValueError) as error:
        raise DomainError(f"The split is not valid: {error}") from None


#: The column options each import format reads (command-line flags --name-column etc.); others are refused.
IMPORT_COLUMNS = {
    "mos_table": {"name_column": "name", "mos_column": "mos", "std_column": "std", "count_column": "count",
                  "source_content_column": "source_content", "split_column": "split_column"},
    "long_ratings": {"stimulus_column": "stimulus", "subject_column": "subject", "score_column": "score",
                     "source_content_column": "source_content", "split_column": "split_column"},
    "histograms": {"name_column": "name_column", "split_column": "split_column"},
}
#: Every import option a form, the API or the command line may give, as text.
IMPORT_OPTION_FIELDS = ("name_column", "mos_column", "std_column", "count_column", "source_content_column",
                        "group_columns", "split_column", "stimulus_column", "subject_column", "score_column",
                        "split_map", "question_id")
#: Formats whose files may carry an official split, so a split map applies.
SPLIT_FORMATS = ("mos_table", "long_ratings", "histograms")


def import_options(*, source_format: str, question_id: str = "", split_map: str = "", **columns: str) -> dict:
    """The reader options of a format from what a form, the API or the command line gives as text (empty: the
    reader's default). A column option, split map or question the format does not read is refused, not dropped."""
    readable = IMPORT_COLUMNS.get(source_format, {})
    given = {key: (value or "").strip() for key, value in columns.items() if (value or "").strip()}
    group_columns = given.pop("group_columns", "")
    ignored = [key for key in given if key not in readable]
    if group_columns and source_format not in ("mos_table", "long_ratings"):
        ignored.append("group_columns")
    if split_map.strip() and source_format not in SPLIT_FORMATS:
        ignored.append("split_map")
    if question_id.strip() and source_format != "sujson":
        ignored.append("question_id")
    if ignored:
        reads = ", ".join(_flag(key) for key in readable) or "no column options"
        raise DomainError(f"The {source_format} format does not read {', '.join(map(_flag, ignored))}; leave "
                          f"{'it' if len(ignored) == 1 else 'them'} out (it reads: {reads}).")
    options = {readable[key]: value for key, value in given.items()}
    if group_columns:
        options["group_columns"] = list(parse_names(group_columns))
    if split_map.strip():
        options["split_map"] = split_map.strip()
    if question_id.strip():
        options["question_id"] = question_id.strip()
    return options


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")
