"""What `privacy export` prints: the file, its size and what it holds, in Danish."""

from __future__ import annotations

from inbox_worker.domain.labels import count
from inbox_worker.features.privacy.export import ExportResult
from inbox_worker.features.privacy.index_page import size_text


def export_lines(result: ExportResult) -> list[str]:
    c = result.counts
    quarantined = f" (heraf {c['quarantined']} i karantæne)" if c["quarantined"] else ""
    held = [count(c["mails"], "original mail", "originale mails") + quarantined,
            count(c["attachments"], "vedhæftet fil", "vedhæftede filer"), count(c["tickets"], "sag", "sager"),
            count(c["time_entries"], "tidsregistrering", "tidsregistreringer"),
            count(c["summaries"], "ugeoversigt", "ugeoversigter"), count(c["outgoing"], "mail fra os", "mails fra os"),
            count(c["audit"], "post", "poster") + " i revisionsloggen",
            count(c["access_log"], "post", "poster") + " i adgangsloggen"]
    lines = [f"Persondata om {result.scope.title} udleveret: {result.path} ({size_text(result.size)})",
             "  " + ", ".join(held)]
    if c["entries_left_out"]:
        lines.append(f"  {count(c['entries_left_out'], 'indlæg', 'indlæg')} af eller til andre personer på sagerne "
                     "er ikke med")
    if c["mails_without_bytes"]:
        lines.append(f"  {count(c['mails_without_bytes'], 'mail', 'mails')} uden gemte originale bytes "
                     "(kun oplysningerne i mails.json)")
    if result.missing:
        lines.append(f"  {count(len(result.missing), 'vedhæftet fil', 'vedhæftede filer')} mangler i filarkivet: "
                     + ", ".join(result.missing))
    lines.append("  Udleveringen er skrevet i adgangsloggen og revisionsloggen")
    return lines
