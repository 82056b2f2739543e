"""Outgoing mail: rendering from templates/ (Jinja2), MIME assembly, and handing a message to SMTP."""
