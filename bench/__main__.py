"""`make bench`: the core throughput figures, then the detector's, if present."""

from __future__ import annotations

import importlib.util
from typing import Any

from bench import core


def main() -> None:
    print("gdprkit core benchmarks (SQLite, then PostgreSQL)")
    core.run()
    if importlib.util.find_spec("bench.governance") is not None:  # issue 7
        print("\ngdprkit access-governance overhead per request")
        importlib.import_module("bench.governance").run()
    if importlib.util.find_spec("bench.retention") is not None:  # issue 8
        importlib.import_module("bench.retention").run()
    if importlib.util.find_spec("bench.access_requests") is not None:  # issue 6
        print("\ngdprkit access requests: approval to finished file (SQLite)")
        importlib.import_module("bench.access_requests").run()
    detection = _detection_module()
    if detection is None:
        print("\nbench.detection is absent: no detector benchmark this time.")
        return
    entry = getattr(detection, "main", None) or getattr(detection, "run", None)
    if entry is None:
        print("\nbench.detection has neither main() nor run(): skipped.")
        return
    print("\ngdprkit detector benchmarks")
    entry()


def _detection_module() -> Any:
    try:
        return importlib.import_module("bench.detection")
    except ModuleNotFoundError as error:
        if error.name != "bench.detection":
            raise  # the module exists but something it needs does not
        return None


if __name__ == "__main__":
    main()
