"""What `privacy erase` and `privacy retention` print: Danish lines with a count per kind."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from inbox_worker.config import PrivacySettings
from inbox_worker.domain.labels import count
from inbox_worker.features.privacy.erase import ErasePlan
from inbox_worker.features.privacy.retention import RetentionRun

# (kind, singular, plural, what will happen to it, what has happened to it)
_GOES = (
    ("raw_mails", "rå mail (.eml)", "rå mails (.eml)", "slettes", "er slettet"),
    ("decisions", "beslutning med spor", "beslutninger med spor", "slettes", "er slettet"),
    ("attachments", "vedhæftet fil", "vedhæftede filer", "slettes", "er slettet"),
    ("files", "fil i vedhæftningsmappen", "filer i vedhæftningsmappen", "slettes", "er slettet"),
    ("entries", "mail fra personen på andres sager", "mails fra personen på andres sager", "slettes", "er slettet"),
    ("references", "trådreference", "trådreferencer", "slettes", "er slettet"),
    ("tickets", "sag", "sager", "bliver stående uden emne og tekst, med pseudonymet som afsender",
     "står nu uden emne og tekst, med pseudonymet som afsender"),
    ("outbox", "udgående mail", "udgående mails", "tømmes: teksten slettes, rækken bliver",
     "er tømt: teksten er slettet, rækken er bevaret"),
    ("devices", "enhed", "enheder", "mister personen som bruger", "har ikke længere personen som bruger"),
    ("contact_person", "kunde", "kunder", "mister personen som kontaktperson: ugeoversigten går ikke til nogen, "
     "før registret får en ny", "har ikke længere personen som kontaktperson: ugeoversigten går ikke til nogen, "
     "før registret får en ny"),
    ("aliases", "anden kontakt", "andre kontakter", "mister personens adresse som alias",
     "har ikke længere personens adresse som alias"),
)
_KEPT = (("time_entries", "tidsregistrering", "tidsregistreringer"),
         ("coverage", "dækningsbeslutning", "dækningsbeslutninger"))
TABLES = {
    "tickets": "sager", "ticket_entries": "indlæg på andres sager", "time_entries": "tidsregistreringer (noter)",
    "coverage_overrides": "dækningsbeslutninger (begrundelser)", "audit_log": "revisionslog",
    "response_events": "svartidshændelser", "decisions": "beslutninger", "devices": "enheder", "customers": "kunder",
    "contacts": "kontakter", "raw_messages": "rå mails (oplysninger)", "outbox": "udgående mails",
    "worker_status": "driftsstatus", "alert_state": "driftsadvarsler", "attachments": "vedhæftede filer (navne)",
    "message_refs": "trådreferencer", "access_log": "adgangslog", "staff": "medarbejdere",
}


def erase_lines(plan: ErasePlan) -> list[str]:
    who = f"kunden {plan.asked} og alle dens personer" if plan.scope == "customer" else plan.asked
    head = f"Sletning af {who}" + (" – prøvekørsel, intet er ændret:" if plan.dry_run else ":")
    lines = [head]
    if plan.scope == "person":
        lines.append(f"  adresser: {', '.join(plan.addresses)}")
    pseudonyms = plan.pseudonyms if len(plan.pseudonyms) <= 4 else [*plan.pseudonyms[:3], "…", plan.pseudonyms[-1]]
    lines.append(("  pseudonym" if len(plan.pseudonyms) == 1 else "  pseudonymer") + (" (formentlig)" if plan.dry_run
                 else "") + f": {', '.join(pseudonyms)}")
    for kind, one, several, will, done in _GOES:
        if plan.counts.get(kind):
            lines.append(f"  {count(plan.counts[kind], one, several)} {will if plan.dry_run else done}")
    if plan.scrubbed:
        rows = ", ".join(f"{TABLES.get(table, table)} {n}" for table, n in plan.scrubbed.items())
        lines.append(f"  personen erstattes af pseudonymet i: {rows}" if plan.dry_run else
                     f"  personen er erstattet af pseudonymet i: {rows}")
    lines += _contact_lines(plan)
    kept = [count(plan.counts[kind], one, several) for kind, one, several in _KEPT if plan.counts.get(kind)]
    if kept:
        lines.append(f"  bevares som fakturagrundlag, pseudonymiseret: {' og '.join(kept)}")
    if plan.contacts_deleted or plan.contacts_kept:
        lines.append("  Husk at fjerne personen fra registerfilen: ellers opretter næste registry import "
                     "kontakten igen.")
    return lines + failed_files(plan.files_failed)


def failed_files(paths: list[str]) -> list[str]:
    """Files the disk would not let go: named (hashes, no personal data) so staff can remove them by hand."""
    if not paths:
        return []
    return [f"  OBS: {count(len(paths), 'fil', 'filer')} i vedhæftningsmappen kunne ikke slettes (er mappen "
            "skrivebeskyttet?); ingen række henviser længere til dem, så slet dem i hånden:",
            *(f"    {path}" for path in paths)]


def _contact_lines(plan: ErasePlan) -> list[str]:
    lines = []
    will = plan.dry_run
    if plan.contacts_deleted:
        lines.append(f"  {count(plan.contacts_deleted, 'kontakt', 'kontakter')} i registret "
                     + ("slettes" if will else "er slettet"))
    if plan.contacts_kept:
        lines.append("  kontakten " + ("beholdes" if will else "er beholdt") + " uden adresse, navn og telefon, som "
                     f"pseudonymet, fordi den har {', '.join(plan.contacts_kept)}, som fakturaen tæller")
    return lines


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%d.%m.%Y}"


def retention_lines(run: RetentionRun, periods: PrivacySettings, now: datetime, zone: ZoneInfo) -> list[str]:
    c, cut = run.counts, run.cutoffs
    goes = "slettes" if run.dry_run else "er slettet"
    lines = [f"Opbevaringsfrister {_day(now, zone)}" + (" – prøvekørsel, intet er ændret:" if run.dry_run else ":")]
    lines.append(f"  Mail (sager lukket før {_day(cut.raw_mail, zone)}, {periods.raw_mail_months} måneder):")
    lines.append(f"    {count(c['raw_tickets'], 'sag', 'sager')}: {count(c['raw'], 'rå mail', 'rå mails')}, "
                 f"{count(c['attachments'], 'vedhæftet fil', 'vedhæftede filer')} "
                 f"({count(c['files'], 'fil', 'filer')} i mappen) og "
                 f"{count(c['outbox'], 'udgående mail', 'udgående mails')} {goes}")
    if c["quarantined"]:
        lines.append(f"    {count(c['quarantined'], 'mail', 'mails')} i karantæne uden sag {goes}")
    lines.append(f"  Sagstekst (sager lukket før {_day(cut.ticket_text, zone)}, {periods.ticket_text_months} "
                 f"måneder): {count(c['text_tickets'], 'sag', 'sager')} "
                 + ("anonymiseres" if run.dry_run else "er anonymiseret"))
    basis = [count(c["time_entries"], "tidsregistrering", "tidsregistreringer"),
             count(c["overrides"], "dækningsbeslutning", "dækningsbeslutninger")]
    lines.append(f"  Fakturagrundlag (fra før {cut.invoice_basis:%d.%m.%Y}, {periods.invoice_basis_years} år efter "
                 f"regnskabsåret): {' og '.join(basis)} {goes}")
    lines.append(f"  Adgangslog (fra før {_day(cut.access_log, zone)}, {periods.access_log_months} måneder): "
                 f"{count(c['access_log'], 'opslag', 'opslag')} {goes}")
    lines.append("  Revisionsloggen bevares.")
    for key in run.terminated_without_end:
        lines.append(f"  Bemærk: kunden {key} er opsagt uden agreement_end i registret; dens sager tælles fra "
                     "lukningen, indtil slutdatoen står der.")
    return lines + failed_files(run.files_failed)
