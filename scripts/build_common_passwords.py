"""Regenerates infrastructure/data/common-passwords.txt, the refusal list of the
password policy.

Source: the 30,000-entry `passwords` frequency list that the zxcvbn package
(zxcvbn-python 4.5.0, MIT licence, github.com/dwolfhub/zxcvbn-python) ships, itself
drawn from publicly released leaked-password corpora. To it we add passwords built
from well-known patterns (keyboard walks, "welcome", seasons and months with
years). Nothing is fetched at run time: the file is committed and read at start-up.

Run with zxcvbn importable, e.g. `pip install --target /tmp/zx zxcvbn==4.5.0` then
`PYTHONPATH=/tmp/zx python scripts/build_common_passwords.py`.
"""

from __future__ import annotations

from pathlib import Path

from zxcvbn.frequency_lists import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
    FREQUENCY_LISTS,
)

OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "infrastructure"
    / "data"
    / "common-passwords.txt"
)

PATTERN_WORDS = [
    "welcome",
    "changeme",
    "letmein",
    "admin",
    "administrator",
    "support",
    "helpdesk",
    "service",
    "customer",
    "password",
    "passw0rd",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertz",
    "azerty",
    "spring",
    "summer",
    "autumn",
    "winter",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
YEARS = [str(year) for year in range(1990, 2031)]


def patterns() -> set[str]:
    built = set(PATTERN_WORDS)
    for word in PATTERN_WORDS:
        built.update(word + year for year in YEARS)
        built.update(word + digits for digits in ("1", "12", "123", "1234"))
    return built


def main() -> None:
    entries = {entry.casefold() for entry in FREQUENCY_LISTS["passwords"]}
    entries |= patterns()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("\n".join(sorted(entries)) + "\n", encoding="utf-8")
    print(f"{len(entries)} entries written to {OUTPUT}")


if __name__ == "__main__":
    main()
