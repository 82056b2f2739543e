"""The fixed words of the contract (shared/docs/interface.md): packages, categories, priorities, agreements."""

from __future__ import annotations

# Item numbers as they appear on the quarterly invoice, with their Danish names.
PACKAGES = {
    "MCOSAABAS": "Basispakke",
    "MCOSABBRU": "Brugerpakke",
    "MCOSABCOM": "Computerpakke",
    "MCOSACSRV": "Serverpakke",
    "MCOSADNET": "Netværkspakke",
}
CATEGORIES = (
    "network", "printer", "computer", "mobile", "server", "backup", "account", "security", "software",
    "replacement", "advice", "visit", "admin", "other",
)
PRIORITIES = ("emergency", "high", "normal", "low")
AGREEMENTS = ("active", "trial", "terminated", "none")
DEVICE_KINDS = (
    "computer", "server", "nas", "printer", "copier", "scanner", "camera", "phone", "tablet", "router",
    "firewall", "switch", "access-point", "network", "other",
)
COVERAGE_STATUSES = ("covered", "billable", "undetermined")
