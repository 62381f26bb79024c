"""Helpers the importer tests share."""

from __future__ import annotations

from collections.abc import Iterable

from application.ports import ImportedDialog, ImportItem, ImportProblem


def split_items(
    items: Iterable[ImportItem],
) -> tuple[list[ImportedDialog], list[ImportProblem]]:
    dialogs: list[ImportedDialog] = []
    problems: list[ImportProblem] = []
    for item in items:
        if isinstance(item, ImportProblem):
            problems.append(item)
        else:
            dialogs.append(item)
    return dialogs, problems


def message_count(dialogs: Iterable[ImportedDialog]) -> int:
    return sum(len(dialog.messages) for dialog in dialogs)
