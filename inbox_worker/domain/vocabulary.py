"""The fixed words of the contract (shared/docs/interface.md): packages, categories, priorities, agreements."""

from __future__ import annotations

from inbox_worker.domain.enums import Agreement, Category, CoverageStatus, Language, Priority

# Item numbers as they appear on the quarterly invoice, with their Danish names.
PACKAGES = {
    "MCOSAABAS": "Basispakke",
    "MCOSABBRU": "Brugerpakke",
    "MCOSABCOM": "Computerpakke",
    "MCOSACSRV": "Serverpakke",
    "MCOSADNET": "Netværkspakke",
}
# The closed vocabularies are the enums of domain/enums.py; these tuples are their values, in order.
CATEGORIES = tuple(str(category) for category in Category)
PRIORITIES = tuple(str(priority) for priority in Priority)  # most urgent first
AGREEMENTS = tuple(str(agreement) for agreement in Agreement)
DEVICE_KINDS = (
    "computer", "server", "nas", "printer", "copier", "scanner", "camera", "phone", "tablet", "router",
    "firewall", "switch", "access-point", "network", "other",
)
COVERAGE_STATUSES = tuple(str(status) for status in CoverageStatus)
LANGUAGES = tuple(str(language) for language in Language)
# Coverage rule ids decided in code, never by a rule of coverage.toml: a staff override, and no rule matching.
OVERRIDE_RULE = "staff-override"
NO_RULE_MATCHED = "no-rule-matched"
# The rate key of [rates] for billable work under each agreement (as of the day of the work).
RATE_OF_AGREEMENT = {"active": "agreement", "terminated": "agreement", "trial": "trial", "none": "none",
                     "unknown": "none"}

# Header values longer than these are no address (RFC 5321: 64 + 1 + 255), no Message-ID and no subject
# (RFC 5322: a line is at most 998 characters): the parser drops or cuts them, so every later step and
# every database sees the same mail.
MAX_ADDRESS = 320
MAX_MESSAGE_ID = 998
MAX_SUBJECT = 1000
# What the agreement calls a server (the server package covers them): physical and virtual servers, and NAS.
SERVER_KINDS = ("server", "nas")
