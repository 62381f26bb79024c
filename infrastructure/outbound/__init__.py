"""Adapters of issue 10: link and outbox projections, push, HTML mail cleaning."""
