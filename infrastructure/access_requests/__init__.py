"""Adapters for access requests (issue 6): projections, the archive writer, the
sealed export store and SMTP."""
