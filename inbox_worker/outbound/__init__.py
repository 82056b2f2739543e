"""Outgoing mail: rendering from templates/, and delivery of the outbox by SMTP."""
