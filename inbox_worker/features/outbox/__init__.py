"""Delivering the outbox by SMTP, at most once per row."""
