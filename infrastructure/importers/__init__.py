"""Importers: one adapter per source format, all behind `DialogSource`."""

from __future__ import annotations

from collections.abc import Callable

from application.ports import DialogSource
from infrastructure.importers.errors import (
    ImportSourceNotFoundError,
    UnknownImportFormatError,
)
from infrastructure.importers.mbox import MboxSource

_IMPORTERS: dict[str, Callable[[], DialogSource]] = {
    MboxSource.name: MboxSource,
}


def importer_for(format_name: str) -> DialogSource:
    """The importer for `format_name`; raises UnknownImportFormatError."""
    try:
        make = _IMPORTERS[format_name.strip().lower()]
    except KeyError:
        raise UnknownImportFormatError(format_name, tuple(_IMPORTERS)) from None
    return make()


__all__ = [
    "ImportSourceNotFoundError",
    "MboxSource",
    "UnknownImportFormatError",
    "importer_for",
]
