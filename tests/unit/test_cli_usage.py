"""Usage mistakes on the command line are one line on stderr and exit status 2."""

from __future__ import annotations

import pytest

from interface.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["cases", "show", "not-a-case"],  # --as missing
        ["access-log", "--format", "xml"],
        ["no-such-command"],
        ["cases", "list", "--offset", "99999999999999999999999"],
        ["serve", "--port", "99999"],
    ],
    ids=["missing-option", "bad-choice", "unknown-command", "huge-offset", "bad-port"],
)
def test_usage_mistake_prints_one_line_and_exits_2(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.argv", ["gdprkit", *argv])

    with pytest.raises(SystemExit) as exited:
        main()

    lines = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2
    assert len(lines) == 1
    assert lines[0].startswith("gdprkit: error: ")


def test_version_exits_0(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["gdprkit", "--version"])

    with pytest.raises(SystemExit) as exited:
        main()

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("gdprkit ")
