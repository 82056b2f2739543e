"""inbox-worker: MICO ApS's support-inbox processor."""

__version__ = "0.1.0"
