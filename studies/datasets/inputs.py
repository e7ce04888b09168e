"""Turning what a form, the API or the command line sends into a SplitSpec, with a clear error when it is wrong."""
from common.errors import DomainError
from moslab_science.datasets import SplitSpec
from moslab_science.datasets.ratios import parse_ratios

SPLIT_KINDS = ("ratio", "kfold", "cross_group")


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
            kind=kind, ratios=parse_ratios(ratios) if ratios else (), seed=int(seed), repeats=int(repeats),
            folds=int(folds) if folds else None, group_by=group_by, stratify_by=stratify_by or None,
            mos_quantiles=int(mos_quantiles) if mos_quantiles else None, cross_column=cross_column or None,
            train_groups=parse_names(train_groups), test_groups=parse_names(test_groups),
        )
    except (TypeError, ValueError) as error:
        raise DomainError(f"The split is not valid: {error}") from None


def import_options(
    *, source_format: str, name_column: str = "", mos_column: str = "", std_column: str = "",
    count_column: str = "", source_content_column: str = "", group_columns: str = "", split_column: str = "",
    stimulus_column: str = "", subject_column: str = "", score_column: str = "",
) -> dict:
    """The reader options of a format from column names given as text (empty means the reader's default)."""
    if source_format == "mos_table":
        given = {"name": name_column, "mos": mos_column, "std": std_column, "count": count_column,
                 "source_content": source_content_column, "split_column": split_column}
    elif source_format == "long_ratings":
        given = {"stimulus": stimulus_column, "subject": subject_column, "score": score_column,
                 "source_content": source_content_column, "split_column": split_column}
    else:
        return {}
    options = {key: value.strip() for key, value in given.items() if value.strip()}
    return {**options, "group_columns": list(parse_names(group_columns))} if group_columns.strip() else options
