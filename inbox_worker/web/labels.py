"""The Danish labels of the UI: they live in domain/labels.py, shared with the command line."""

from __future__ import annotations

from inbox_worker.domain.labels import duration, label

__all__ = ["duration", "label"]
