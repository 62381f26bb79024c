"""Importers: one adapter per source format, all behind `DialogSource`."""

from __future__ import annotations

from collections.abc import Callable

from application.ports import DialogSource
from infrastructure.importers.abcd import AbcdSource
from infrastructure.importers.errors import (
    ImportSourceNotFoundError,
    UnknownImportFormatError,
)
from infrastructure.importers.mbox import MboxSource
from infrastructure.importers.star import StarSource
from infrastructure.importers.tweetsumm import TweetsummSource

# A new format is one new module plus one line here.
_IMPORTERS: dict[str, Callable[[], DialogSource]] = {
    source.name: source
    for source in (MboxSource, TweetsummSource, StarSource, AbcdSource)
}


def importer_for(format_name: str) -> DialogSource:
    """The importer for `format_name`; raises UnknownImportFormatError."""
    try:
        make = _IMPORTERS[format_name.strip().lower()]
    except KeyError:
        raise UnknownImportFormatError(format_name, tuple(_IMPORTERS)) from None
    return make()


__all__ = [
    "AbcdSource",
    "ImportSourceNotFoundError",
    "MboxSource",
    "StarSource",
    "TweetsummSource",
    "UnknownImportFormatError",
    "importer_for",
]
