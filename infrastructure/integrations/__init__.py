"""Integrations (issue 9): ServiceNow, external data sources, their views."""
