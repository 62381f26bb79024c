"""Print precision and recall of the detector per category and per case.

Run from the repository root: `.venv/bin/python tests/eval/run_eval.py`
(add `--json PATH` to keep the figures). Corpus parts are skipped, with the
reason printed, when the shared data folder is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.eval import evaluation

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    arguments = parser.parse_args(argv)

    results: dict[str, Any] = {}
    handwritten = evaluation.evaluate("handwritten", evaluation.load_handwritten())
    results["handwritten"] = _print_report(handwritten, per_category=True)
    try:
        parts = evaluation.load_corpus_parts()
    except evaluation.CorpusMissingError as missing:
        print(f"\nCorpus parts skipped: {missing}")
        parts = []
    for part in parts:
        report = evaluation.evaluate(part.name, part.cases)
        results[part.name] = _print_report(
            report, per_category=not part.false_positive_base
        )
    if parts:
        results["presidio_synth_span_recall"] = _print_span_recall(
            evaluation.synth_span_recall()
        )
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def _print_report(report: Any, per_category: bool) -> dict[str, Any]:
    counts = report.case_level
    print(f"\n== {report.name}: {report.cases} cases")
    print(
        f"case level  precision {counts.precision:.3f}  recall {counts.recall:.3f}  "
        f"F1 {counts.f1:.3f}  (TP {counts.true_positive} FP {counts.false_positive} "
        f"FN {counts.false_negative} TN {counts.true_negative})  "
        f"flag rate {report.flag_rate:.3f}"
    )
    figures: dict[str, Any] = {
        "cases": report.cases,
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
        "flag_rate": report.flag_rate,
        "misses": report.misses[:20],
        "false_alarms": report.false_alarms[:20],
    }
    if per_category:
        figures["per_category"] = {}
        for category, category_counts in sorted(
            report.per_category.items(), key=lambda item: item[0].value
        ):
            print(
                f"  {category.value:<26} precision {category_counts.precision:.3f}  "
                f"recall {category_counts.recall:.3f}  "
                f"(TP {category_counts.true_positive} FP "
                f"{category_counts.false_positive} FN "
                f"{category_counts.false_negative})"
            )
            figures["per_category"][category.value] = {
                "precision": category_counts.precision,
                "recall": category_counts.recall,
            }
    print(f"  missed: {report.misses[:12]}")
    print(f"  false alarms: {report.false_alarms[:12]}")
    return figures


def _print_span_recall(recall: dict[str, tuple[int, int]]) -> dict[str, float]:
    print("\n== presidio synthetic set, span recall per gold type")
    figures = {}
    for name, (found, total) in recall.items():
        share = found / total if total else 0.0
        print(f"  {name:<16} {found:>4}/{total:<4} {share:.3f}")
        figures[name] = share
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
