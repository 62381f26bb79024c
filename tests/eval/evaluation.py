"""Evaluation of the detector: labelled cases, case-level and category figures.

A case is one dialog (all messages of one conversation) or, for sentence
corpora, one sentence. A case is predicted sensitive when `case_verdict` over
the findings of all its messages says so.

Hand-written cases live in `data/handwritten.jsonl`. Corpus cases are read at
run time from the shared data folder (`<repo>/../shared/data`, or the folder
named by GDPRKIT_SHARED_DATA) using `data/corpus_labels.json`, which holds only
file names, positions and labels, never corpus text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from domain.sensitivity import Category
from infrastructure.detection import RuleBasedDetector, case_verdict

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
LABELS = HERE / "data" / "corpus_labels.json"
HANDWRITTEN = HERE / "data" / "handwritten.jsonl"
_SENSITIVE_SYNTH_TYPES = frozenset({"CREDIT_CARD", "IBAN_CODE"})
_OUT_OF_SCOPE_SYNTH_TYPES = frozenset({"US_SSN", "US_DRIVER_LICENSE"})
# Gold entity types of the presidio synthetic set and the category that
# answers each of them.
SYNTH_TYPES = {
    "CREDIT_CARD": Category.PAYMENT_CARD,
    "IBAN_CODE": Category.IBAN,
    "EMAIL_ADDRESS": Category.EMAIL_ADDRESS,
    "PHONE_NUMBER": Category.PHONE_NUMBER,
    "IP_ADDRESS": Category.IP_ADDRESS,
    "PERSON": Category.PERSON,
    "STREET_ADDRESS": Category.STREET_ADDRESS,
}


@dataclass(frozen=True)
class Case:
    case_id: str
    messages: tuple[str, ...]
    expected: frozenset[Category]  # sensitive categories only

    @property
    def sensitive(self) -> bool:
        return bool(self.expected)


@dataclass
class Counts:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positive + self.false_negative
        return self.true_positive / relevant if relevant else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, expected: bool, predicted: bool) -> None:
        if expected and predicted:
            self.true_positive += 1
        elif predicted:
            self.false_positive += 1
        elif expected:
            self.false_negative += 1
        else:
            self.true_negative += 1


@dataclass
class Report:
    name: str
    cases: int = 0
    case_level: Counts = field(default_factory=Counts)
    per_category: dict[Category, Counts] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def flag_rate(self) -> float:
        flagged = self.case_level.true_positive + self.case_level.false_positive
        return flagged / self.cases if self.cases else 0.0


class CorpusMissingError(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__(f"shared corpus not found at {path}")
        self.path = path


def shared_data_root() -> Path:
    configured = os.environ.get("GDPRKIT_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


def load_handwritten() -> list[Case]:
    cases = []
    for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        cases.append(
            Case(
                case_id=record["id"],
                messages=tuple(record["messages"]),
                expected=frozenset(Category(name) for name in record["expected"]),
            )
        )
    return cases


def evaluate(
    name: str, cases: Sequence[Case], detector: RuleBasedDetector | None = None
) -> Report:
    detector = detector or RuleBasedDetector()
    report = Report(name)
    for case in cases:
        findings = [f for message in case.messages for f in detector.scan(message)]
        verdict = case_verdict(findings)
        predicted = frozenset(verdict.categories)
        report.cases += 1
        report.case_level.add(case.sensitive, verdict.sensitive)
        if case.sensitive and not verdict.sensitive:
            report.misses.append(case.case_id)
        if verdict.sensitive and not case.sensitive:
            report.false_alarms.append(case.case_id)
        for category in case.expected | predicted:
            counts = report.per_category.setdefault(category, Counts())
            counts.add(category in case.expected, category in predicted)
    return report


# --- corpus parts -------------------------------------------------------------


@dataclass(frozen=True)
class CorpusPart:
    name: str
    path: Path
    false_positive_base: bool
    cases: list[Case]


def load_corpus_parts(root: Path | None = None) -> list[CorpusPart]:
    """Read every labelled corpus part; raise CorpusMissingError when the
    shared data folder is absent."""
    root = root or shared_data_root()
    if not root.is_dir():
        raise CorpusMissingError(root)
    spec = json.loads(LABELS.read_text(encoding="utf-8"))
    parts = []
    for part in spec["parts"]:
        path = root / part["file"]
        if not path.is_file():
            raise CorpusMissingError(path)
        overrides = {
            str(item["position"]): frozenset(Category(c) for c in item["expected"])
            for item in part["overrides"]
        }
        reader = _READERS[part["format"]]
        default = part["default"]
        cases = [
            Case(
                case_id=f"{part['name']}:{position}",
                messages=messages,
                expected=overrides.get(
                    position,
                    expected
                    if expected is not None
                    else frozenset(Category(c) for c in default),
                ),
            )
            for position, messages, expected in reader(path)
        ]
        parts.append(
            CorpusPart(part["name"], path, bool(part.get("false_positive_base")), cases)
        )
    return parts


Record = tuple[str, tuple[str, ...], frozenset[Category] | None]


def _read_star(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            dialogue = json.loads(line)
            messages = tuple(
                event["Text"]
                for event in dialogue["Events"]
                if event.get("Agent") in ("User", "Wizard") and event.get("Text")
            )
            yield str(number), messages, None


def _read_tweetsumm(path: Path) -> Iterator[Record]:
    documents = json.loads(path.read_text(encoding="utf-8"))["document"]
    for index, document in enumerate(documents):
        lines = document.split("\n")[1:]
        messages = tuple(line.split("\t", 2)[-1] for line in lines if line.strip())
        yield str(index), messages, None


def _read_presidio_synth(path: Path) -> Iterator[Record]:
    for index, sample in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        types = {span["entity_type"] for span in sample["spans"]}
        if types & _OUT_OF_SCOPE_SYNTH_TYPES:
            continue
        expected = frozenset(SYNTH_TYPES[t] for t in types & _SENSITIVE_SYNTH_TYPES)
        yield str(index), (sample["full_text"],), expected


def _read_conllu(path: Path) -> Iterator[Record]:
    sentence_id = ""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("# sent_id = "):
                sentence_id = line[len("# sent_id = ") :].strip()
            elif line.startswith("# text = "):
                yield sentence_id, (line[len("# text = ") :].rstrip("\n"),), None


def _read_norec(path: Path) -> Iterator[Record]:
    for sentence in json.loads(path.read_text(encoding="utf-8")):
        yield str(sentence["sent_id"]), (sentence["text"],), None


_READERS: dict[str, Callable[[Path], Iterator[Record]]] = {
    "star_jsonl": _read_star,
    "tweetsumm_documents": _read_tweetsumm,
    "presidio_synth": _read_presidio_synth,
    "conllu": _read_conllu,
    "norec": _read_norec,
}


def synth_span_recall(root: Path | None = None) -> dict[str, tuple[int, int]]:
    """For each gold entity type of the presidio synthetic set: how many gold
    spans a finding of the matching category overlaps, out of how many."""
    path = (root or shared_data_root()) / "pii" / "synth_dataset_v2.json"
    if not path.is_file():
        raise CorpusMissingError(path)
    detector = RuleBasedDetector()
    totals: dict[str, list[int]] = {name: [0, 0] for name in SYNTH_TYPES}
    for sample in json.loads(path.read_text(encoding="utf-8")):
        findings = detector.scan(sample["full_text"])
        for span in sample["spans"]:
            category = SYNTH_TYPES.get(span["entity_type"])
            if category is None:
                continue
            start, end = span["start_position"], span["end_position"]
            hit = any(
                f.category is category and f.start < end and start < f.end
                for f in findings
            )
            totals[span["entity_type"]][0] += int(hit)
            totals[span["entity_type"]][1] += 1
    return {name: (found, total) for name, (found, total) in totals.items()}
