"""suJSON, the VQEG exchange format for raw subjective data.

Published shape (VQEG / AGH suJSON 1.1.1, LucjanJanowski/translator-to-suJSON
``example/data/two-separate-and-pair-comparison-suJSON.json``): top-level ``dataset_name``,
``sujson_version``, ``characteristics``, ``tasks``, ``scales`` (``range.min/max``, ``labels``),
``questions`` (``scale_id``), ``src`` (source contents), ``hrc`` (processing, ``characteristics``),
``pvs`` (one per stimulus: ``src_id``, ``hrc_id``, ``path``), ``subjects``, ``trials`` (one per
subject session: ``subject_id``, ``session_num``, ``pvs_id`` and ``score_id`` lists) and
``scores`` (``question_id``, ``timestamp``, ``score``, ``pvs_id``).

moslab maps a source content to a ``src``, each distinct set of group values to an ``hrc``
(its ``characteristics``), a stimulus to a ``pvs`` (``characteristics``: name, sha256,
reference, prompt and the dataset's MOS statistics mos, std, ci95, count), a subject and round
to a trial (``session_num`` = round), and keeps a vote's repetition, verification and subject
rejection in its score's ``characteristics``. A pvs's MOS statistics, when present, are its
item's; otherwise they come from its counted votes.
"""

import json
import math
import posixpath
from collections.abc import Mapping, Sequence
from typing import IO

from moslab_science.datasets.records import DatasetError, DatasetItem, RawVote, name_examples
from moslab_science.datasets.text import text_of
from moslab_science.datasets.votes import VoteStats, vote_statistics
from moslab_science.errors import excerpt

SUJSON_VERSION = "1.1.1"
ACR_LABELS = {"bad": 1, "poor": 2, "fair": 3, "good": 4, "excellent": 5}
REQUIRED = ("scales", "questions", "pvs", "subjects", "trials", "scores")
PUBLISHED = ("mos", "std", "ci95", "count")  # the dataset's MOS statistics, kept per pvs


def write_sujson(
    items: Sequence[DatasetItem],
    votes: Sequence[RawVote],
    stream: IO[str],
    *,
    dataset_name: str,
    scale: tuple[float, float],
    question: str = "Overall quality",
    extra: Mapping | None = None,
) -> None:
    """The items and all their votes; ``question`` names what was rated (a rating dimension), ``extra`` is merged
    into the top-level ``characteristics``."""
    ordered = sorted(items, key=lambda item: item.name)
    pvs_id = {item.name: index for index, item in enumerate(ordered, start=1)}
    strangers = sorted({vote.stimulus for vote in votes} - set(pvs_id))
    if strangers:
        raise DatasetError(f"{len(strangers)} voted stimuli are not among the items: {name_examples(strangers)}.")
    src_id = _ids(item.source_content or item.name for item in ordered)
    hrc_id = _ids(json.dumps(item.groups, sort_keys=True) for item in ordered)
    subject_id = _ids(vote.subject for vote in votes)
    trials, scores = _trials_and_scores(votes, pvs_id, subject_id)
    document = {
        "dataset_name": dataset_name,
        "sujson_version": SUJSON_VERSION,
        "characteristics": {
            "per_subject_data": True,
            "rating_order_known": any(vote.created_at for vote in votes),
            **(extra or {}),
        },
        "tasks": [{"id": 1, "task": "Rate the quality of each stimulus."}],
        "scales": [_scale(scale)],
        "questions": [{"id": 1, "question": question, "scale_id": 1}],
        "src": [{"id": i, "name": name} for name, i in src_id.items()],
        "hrc": [{"id": i, "characteristics": json.loads(groups)} for groups, i in hrc_id.items()],
        "pvs": [
            {
                "id": pvs_id[item.name],
                "src_id": src_id[item.source_content or item.name],
                "hrc_id": hrc_id[json.dumps(item.groups, sort_keys=True)],
                "path": item.file,
                "characteristics": {
                    "name": item.name,
                    "sha256": item.sha256,
                    "reference": item.reference,
                    "prompt": item.prompt,
                    **{key: getattr(item, key) for key in PUBLISHED},
                },
            }
            for item in ordered
        ],
        "subjects": [{"id": i, "characteristics": {"name": name}} for name, i in subject_id.items()],
        "trials": trials,
        "scores": scores,
    }
    json.dump(document, stream, indent=1, ensure_ascii=False, allow_nan=False)
    stream.write("\n")


def read_sujson(stream: IO, *, question_id: object = None) -> tuple[list[DatasetItem], list[RawVote], dict]:
    """Items (MOS as the pvs carry it, else from the counted votes), votes and metadata of a suJSON file.

    Reads the single-stimulus scores of one question (``question_id``, needed when trials
    score several questions; matched as text, so ``"1"`` finds the id ``1``). Trials may list their
    ids or give one (``"pvs_id": 7, "score_id": 7``); a pvs is named by its characteristics' name,
    else by the base name of ``path`` or ``file_name``. Pair-comparison questions are refused.
    Stimuli without counted votes are listed in ``meta["unrated"]``.
    """
    try:
        data = json.loads(text_of(stream))
    except json.JSONDecodeError as error:
        raise DatasetError(f"the suJSON file is not valid JSON ({error}).") from None
    missing = [key for key in REQUIRED if not isinstance(data, dict) or not isinstance(data.get(key), list)]
    if missing:
        raise DatasetError(f"the suJSON file lacks the list(s) {', '.join(missing)}.")
    by_id = {
        key: {entry.get("id"): entry for entry in data[key]} for key in ("pvs", "subjects", "scores", "src", "hrc")
    }
    question = _question(data, by_id["scores"], question_id)
    votes = _votes(data, by_id, question.get("id"))
    scale_entry = next((s for s in data["scales"] if s.get("id") == question.get("scale_id")), {})
    scale = (float(scale_entry["range"]["min"]), float(scale_entry["range"]["max"])) if "range" in scale_entry else None
    stats = {**vote_statistics(votes), **_published(data["pvs"])}
    items = [_item(pvs, by_id, stats) for pvs in data["pvs"] if _pvs_name(pvs) in stats]
    meta = {
        "dataset_name": data.get("dataset_name", ""),
        "sujson_version": data.get("sujson_version", ""),
        "scale": scale,
        "question": question.get("question", ""),
        "characteristics": data.get("characteristics") or {},
        "unrated": [_pvs_name(pvs) for pvs in data["pvs"] if _pvs_name(pvs) not in stats],
    }
    return items, votes, meta


def _ids(names) -> dict[str, int]:
    return {name: index for index, name in enumerate(sorted(set(names)), start=1)}


def _scale(scale: tuple[float, float]) -> dict:
    low, high = float(scale[0]), float(scale[1])
    acr = (low, high) == (1.0, 5.0)
    return {
        "id": 1,
        "name": "ACR5" if acr else f"{low:g}..{high:g}",
        "type": "ordinal" if acr else "continuous",
        "range": {"min": low, "max": high},
        "labels": ACR_LABELS if acr else None,
    }


def _trials_and_scores(
    votes: Sequence[RawVote], pvs_id: Mapping[str, int], subject_id: Mapping[str, int]
) -> tuple[list[dict], list[dict]]:
    sessions: dict[tuple[str, int], list[RawVote]] = {}
    for vote in sorted(votes, key=lambda v: (v.subject, v.round, v.created_at, v.stimulus, v.repetition)):
        sessions.setdefault((vote.subject, vote.round), []).append(vote)
    trials, scores = [], []
    order: dict[str, int] = {}
    for (subject, round_), session in sessions.items():
        order[subject] = order.get(subject, 0) + 1
        first = len(scores) + 1
        for vote in session:
            scores.append(
                {
                    "id": len(scores) + 1,
                    "question_id": 1,
                    "timestamp": vote.created_at or None,
                    "score": vote.score,
                    "pvs_id": pvs_id[vote.stimulus],
                    "characteristics": {
                        "repetition": vote.repetition,
                        "verified": vote.verified,
                        "subject_rejected": vote.subject_rejected,
                    },
                }
            )
        trials.append(
            {
                "id": len(trials) + 1,
                "subject_id": subject_id[subject],
                "task_id": 1,
                "session_num": round_,
                "order_num": order[subject],
                "pvs_id": [s["pvs_id"] for s in scores[first - 1 :]],
                "score_id": list(range(first, len(scores) + 1)),
            }
        )
    return trials, scores


def _question(data: dict, scores: Mapping, question_id: object) -> dict:
    """The question whose scores are read: the one given, else the only one the trials score."""
    questions = {str(q.get("id")): q for q in data["questions"] if isinstance(q, dict)}
    scored: dict[str, int] = {}
    for trial in data["trials"]:
        for score_id in _listed(trial.get("score_id")):
            score = scores.get(score_id)
            if isinstance(score, dict):
                key = str(score.get("question_id"))
                scored[key] = scored.get(key, 0) + 1
    if question_id is None:
        if len(scored) != 1:
            listed = "; ".join(f"{key} ({_describe(questions.get(key), scores)}, {n} score(s))"
                               for key, n in sorted(scored.items()))
            raise DatasetError(f"the trials score {len(scored)} questions: {listed or 'none'}; pass question_id "
                               "(--question-id on the command line) to choose one.")
        question_id = next(iter(scored))
    question = questions.get(str(question_id))
    if question is None:
        raise DatasetError(f"question {excerpt(question_id)!r} is not among the file's questions "
                           f"{name_examples(sorted(questions))}.")
    if _is_pair(question, scores):
        raise DatasetError(f"question {question.get('id')!r} ({excerpt(question.get('question', ''))}) is a pair "
                           "comparison (each score names two stimuli); moslab imports single-stimulus ratings only: "
                           "choose another question_id.")
    return question


def _describe(question: dict | None, scores: Mapping) -> str:
    if question is None:
        return "not among the questions"
    kind = "pair comparison" if _is_pair(question, scores) else "single stimulus"
    return f"{excerpt(question.get('question', ''), 40)!r}, {kind}"


def _is_pair(question: dict, scores: Mapping) -> bool:
    """A question whose scores name a list of stimuli (pair comparison) rather than one."""
    return any(isinstance(score, dict) and score.get("question_id") == question.get("id")
               and isinstance(score.get("pvs_id"), list) for score in scores.values())


def _listed(value: object) -> list:
    """A trial's ``pvs_id``/``score_id``: a list, or one scalar id (VQEG files write one score per trial)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _votes(data: dict, by_id: Mapping[str, Mapping], question_id: object) -> list[RawVote]:
    votes, problems, seen = [], [], {}
    for trial in data["trials"]:
        subject = by_id["subjects"].get(trial.get("subject_id"))
        for score_id in _listed(trial.get("score_id")):
            score = by_id["scores"].get(score_id)
            if score is None or score.get("question_id") != question_id:
                continue
            pvs = by_id["pvs"].get(score.get("pvs_id"))
            if subject is None or pvs is None or not isinstance(score.get("score"), int | float):
                problems.append(f"score {score_id!r} (trial {trial.get('id')!r})")
                continue
            traits = score.get("characteristics") or {}
            key = (_pvs_name(pvs), _subject_name(subject))
            repetition = traits.get("repetition", seen.get(key, 0))
            seen[key] = seen.get(key, 0) + 1
            votes.append(
                RawVote(
                    stimulus=key[0],
                    subject=key[1],
                    score=float(score["score"]),
                    repetition=int(repetition),
                    round=int(trial.get("session_num") or 0),
                    verified=bool(traits.get("verified", True)),
                    subject_rejected=bool(traits.get("subject_rejected", False)),
                    created_at=score.get("timestamp") or "",
                )
            )
    if problems:
        raise DatasetError(
            f"{len(problems)} score(s) name an unknown subject or stimulus, or are not a single number: "
            f"{name_examples(problems)}."
        )
    return votes


def _published(entries: Sequence[dict]) -> dict[str, VoteStats]:
    """MOS statistics a pvs carries (moslab writes its version's, whatever the method); they win over the votes."""
    published, problems = {}, []
    for pvs in entries:
        traits = pvs.get("characteristics") or {}
        if "mos" not in traits:
            continue
        numbers = {key: traits.get(key) for key in PUBLISHED}
        finite = all(_finite(numbers[key], optional=key != "mos") for key in ("mos", "std", "ci95"))
        whole = numbers["count"] is None or (type(numbers["count"]) is int and numbers["count"] >= 1)
        if finite and whole and (numbers["std"] or 0) >= 0:
            published[_pvs_name(pvs)] = VoteStats(**numbers)
        else:
            problems.append(f"pvs {pvs.get('id')!r} ({numbers})")
    if problems:
        raise DatasetError(f"{len(problems)} pvs carry MOS statistics that are not finite numbers (std >= 0, count a "
                           f"whole number >= 1, std, ci95 and count may be null): {name_examples(problems)}.")
    return published


def _finite(value, *, optional: bool) -> bool:
    if value is None:
        return optional
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _item(pvs: dict, by_id: Mapping[str, Mapping], stats: Mapping) -> DatasetItem:
    traits = pvs.get("characteristics") or {}
    name = _pvs_name(pvs)
    src = by_id["src"].get(pvs.get("src_id")) or {}
    hrc = by_id["hrc"].get(pvs.get("hrc_id")) or {}
    return DatasetItem(
        name=name,
        file=_pvs_file(pvs) or name,
        sha256=traits.get("sha256", ""),
        mos=stats[name].mos,
        std=stats[name].std,
        ci95=stats[name].ci95,
        count=stats[name].count,
        source_content="" if src.get("name") == name else str(src.get("name", "")),
        groups=_hrc_groups(hrc),
        reference=traits.get("reference", ""),
        prompt=traits.get("prompt", ""),
    )


def _pvs_file(pvs: dict) -> str:
    """Where a pvs's media is: ``path`` (suJSON 1.x) or ``file_name`` (the VQEG translator's files)."""
    return str(pvs.get("path") or pvs.get("file_name") or "")


def _pvs_name(pvs: dict) -> str:
    traits = pvs.get("characteristics") or {}
    return str(traits.get("name") or posixpath.basename(_pvs_file(pvs)) or pvs.get("id"))


def _hrc_groups(hrc: dict) -> dict[str, str]:
    """An hrc's characteristics as groups; an hrc known only by its name (VQEG files) is the group ``hrc``."""
    traits = hrc.get("characteristics")
    if isinstance(traits, dict) and traits:
        return {str(k): str(v) for k, v in traits.items() if str(v)}
    return {"hrc": str(hrc["name"])} if hrc.get("name") not in (None, "") else {}


def _subject_name(subject: dict) -> str:
    return str((subject.get("characteristics") or {}).get("name") or subject.get("id"))
