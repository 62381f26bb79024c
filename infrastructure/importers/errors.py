"""Errors an importer raises for the whole import, never for one bad record."""

from __future__ import annotations


class ImportSourceNotFoundError(Exception):
    """The file or folder to import from does not exist or cannot be opened."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"import source not found: {path}")


class UnknownImportFormatError(Exception):
    """No importer reads the format that was asked for."""

    def __init__(self, format_name: str, known_formats: tuple[str, ...]) -> None:
        self.format_name = format_name
        self.known_formats = known_formats
        known = ", ".join(known_formats)
        super().__init__(f"unknown import format {format_name!r}; known: {known}")
