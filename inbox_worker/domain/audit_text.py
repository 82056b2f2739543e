"""An audit entry as a Danish sentence: "JH ændrede status fra Åben til Lukket", "… sats 650 kr./time".

One sentence per action of domain/labels.ACTION; an action without its own sentence (one added later)
still reads: its Danish label and its details in words, never as keys and JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from inbox_worker.domain.labels import ACTION, duration, label
from inbox_worker.domain.readable import CLOCK_EVENT, details_text, value_text

Details = Mapping[str, Any]
_FIELD = {"status": ("status", "status"), "priority": ("prioritet", "priority"), "category": ("kategori", "category")}


def _clock(d: Details) -> str:
    events = d.get("clock")
    if isinstance(events, str):
        events = [events]
    said = [CLOCK_EVENT.get(str(e), str(e)) for e in events or []]
    return f" ({', '.join(said)})" if said else ""


def _changed(field: str) -> Callable[[Details, ZoneInfo], str]:
    name, kind = _FIELD[field]
    return lambda d, _: (f"ændrede {name} fra {label(d.get('before'), kind) or 'intet'} "
                         f"til {label(d.get('after'), kind)}{_clock(d)}")


def _assign(d: Details, _: ZoneInfo) -> str:
    before, after = d.get("before"), d.get("after")
    if not after:
        return f"fjernede tildelingen (var {before})" if before else "fjernede tildelingen"
    return f"tildelte sagen til {after}" + (f" (før {before})" if before else "")


def _link_customer(d: Details, _: ZoneInfo) -> str:
    text = f"koblede sagen til kunden {d.get('customer_key') or d.get('customer')}"
    text += f", kontakt {d['contact']}" if d.get("contact") else ""
    return text + (f", og tilføjede {d['alias_added']} som alias" if d.get("alias_added") else "")


def _coverage(d: Details, zone: ZoneInfo) -> str:
    text = f"satte dækningen til {label(d.get('after'), 'coverage')}"
    text += f" (før {label(d.get('before'), 'coverage')})" if d.get("before") else ""
    text += f", sats {value_text(d['rate_dkk'], zone, 'rate_dkk')}" if d.get("rate_dkk") else ""
    return text + (f": {d['reason']}" if d.get("reason") else "")


def _minutes(d: Details) -> str:
    minutes = d.get("minutes")
    return duration(minutes) if isinstance(minutes, int) else str(minutes)


def _log_time(d: Details, zone: ZoneInfo) -> str:
    text = f"registrerede {_minutes(d)}"
    text += f" den {_date(d['work_date'])}" if d.get("work_date") else ""
    text += f" ({label(d.get('coverage'), 'coverage').lower()}" if d.get("coverage") else ""
    if d.get("coverage"):
        text += f", sats {value_text(d['rate_dkk'], zone, 'rate_dkk')})" if d.get("rate_dkk") else ")"
    return text


def _date(text: Any) -> str:
    parts = str(text).split("-")
    return f"{parts[2]}.{parts[1]}.{parts[0]}" if len(parts) == 3 else str(text)


def _targets(d: Details, _: ZoneInfo) -> str:
    parts = [f"første svar {duration(d['first_response_minutes'])}" if isinstance(
        d.get("first_response_minutes"), int) else "",
             f"løsning {duration(d['resolution_minutes'])}" if isinstance(d.get("resolution_minutes"), int) else ""]
    text = "satte svarfristerne" + (f" til {' og '.join(p for p in parts if p)}" if any(parts) else "")
    return text + (f": {d['reason']}" if d.get("reason") else "")


def _outbox(verb: str) -> Callable[[Details, ZoneInfo], str]:
    return lambda d, _: (f"{verb} {label(d.get('kind'), 'kind').lower() or 'mail'} til {d.get('to')}"
                         + (f" (var {label(d.get('was'), 'outbox').lower()})" if d.get("was") else ""))


_THEN = {"waiting": "satte sagen til afventer kunde", "closed": "lukkede sagen"}


def _reply(d: Details, _: ZoneInfo) -> str:
    text = f"sendte et svar til {d.get('to') or 'kunden'}"
    if d.get("cc"):
        text += f", kopi til {', '.join(map(str, d['cc']))}"
    if d.get("attachments"):
        files = [str(name) for name in d["attachments"]]
        text += f", {len(files)} {'vedhæftning' if len(files) == 1 else 'vedhæftninger'} ({', '.join(files)})"
    if d.get("then") in _THEN:
        text += f" og {_THEN[d['then']]}"
    return text + _clock(d)


def _created(what: str, key: str) -> Callable[[Details, ZoneInfo], str]:
    return lambda d, _: (f"oprettede {what} {d.get('name') or d[key]}"
                         + (f" ({d[key]})" if d.get(key) and d.get("name") else ""))


SENTENCE: dict[str, Callable[[Details, ZoneInfo], str]] = {
    "link-customer": _link_customer,
    "link-device": lambda d, _: f"tilknyttede enheden {d.get('device')}",
    "unlink-device": lambda d, _: f"fjernede enheden {d.get('device')}",
    "set-category": _changed("category"), "set-priority": _changed("priority"), "set-status": _changed("status"),
    "assign": _assign,
    "note": lambda d, _: "skrev et internt notat" + (f" ({d['length']} tegn)" if d.get("length") else ""),
    "reply": _reply,
    "merge": lambda d, _: f"flettede sagen ind i sag #{d.get('into')}{_clock(d)}",
    "merged-in": lambda d, _: f"flettede sag #{d.get('source')} ind i denne sag",
    "reviewed": lambda d, _: "markerede sagen som gennemset" + (
        f" ({', '.join(label(f, 'review') for f in d['cleared'])})" if d.get("cleared") else ""),
    "phone-ticket": lambda d, _: "oprettede sagen fra et telefonopkald" + (
        f" ({label(d['category'], 'category').lower()}, {label(d.get('priority'), 'priority').lower()})"
        if d.get("category") else ""),
    "set-coverage": _coverage,
    "log-time": _log_time,
    "correct-time": lambda d, _: f"rettede registrering #{d.get('corrects')} med {_minutes(d)}",
    "quarantine-reprocess": lambda d, _: f"behandlede rå mail {d.get('raw')} igen fra karantænen: "
                                         f"{label(d.get('outcome'), 'outcome').lower()}",
    "outbox-retry": _outbox("sendte igen:"),
    "outbox-cancel": _outbox("annullerede"),
    "set-targets": _targets,
    "create-customer": _created("kunden", "key"),
    "create-contact": _created("kontakten", "email"),
    "profile": lambda d, _: "ændrede sin profil",
}


def audit_sentence(actor: str, action: str, details: Details, zone: ZoneInfo) -> str:
    """ "JH ændrede status fra Åben til Lukket (fristerne afsluttet)"."""
    sentence = SENTENCE.get(action)
    if sentence is not None:
        try:
            return f"{actor} {sentence(details, zone)}"
        except (KeyError, TypeError, ValueError, IndexError):
            pass  # an old row with other details: the general form below still reads
    said = "; ".join(f"{key} {value}" for key, value in details_text(details, zone, skip=("trace", "ticket")))
    return f"{actor}: {ACTION.get(action, action)}" + (f" ({said})" if said else "")
