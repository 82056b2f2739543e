"""The staff triage web UI (Flask): queue, ticket, customer and phone-ticket pages behind a staff login."""

from inbox_worker.web.app import create_app

__all__ = ["create_app"]
