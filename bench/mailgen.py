"""Synthetic support mail for the ingest benchmark: a fixed-seed corpus shaped like MICO's support inbox.

The mix (by weight): plain text 45, multipart/alternative text + Outlook-like HTML 20, HTML only 10,
multipart/mixed with one or two attachments 10, replies quoting an earlier mail of the corpus 15.
Senders are mostly the demo registry's contacts and domains, some unknown companies, a few free-mail
addresses. Dates are spread over November 2026 (+0100) in file order, so a reply always comes after
the mail it answers. The same seed always gives the same bytes.

    python bench/mailgen.py --n 1000 --out /tmp/corpus [--seed 1234] [--big /tmp/big.eml --big-mb 25]
"""

from __future__ import annotations

import argparse
import html
import json
import math
import random
import textwrap
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

REGISTRY = Path(__file__).resolve().parent.parent / "inbox_worker" / "demo" / "registry.toml"
SUPPORT = "support@mico.dk"
QP = "quoted-printable"
CET = timezone(timedelta(hours=1))
KIB = 1024

SHAPES = ("plain", "alternative", "html", "attachments", "reply")
SHAPE_WEIGHTS = (45, 20, 10, 10, 15)
SENDER_KINDS = ("contacts", "colleagues", "freemail", "strangers")
SENDER_WEIGHTS = (65, 12, 8, 15)


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    language: str  # "da" or "en"
    company: str
    devices: tuple[str, ...] = ()  # device tags of the sender's customer, mentioned now and then


@dataclass(frozen=True)
class Sent:
    """What a later reply needs of an earlier mail of the corpus."""

    message_id: str
    subject: str
    sender: Sender
    date: datetime
    lines: tuple[str, ...]
    references: tuple[str, ...]


# --- senders -----------------------------------------------------------------------------------------

COLLEAGUES = (("Kontoret", "kontor"), ("Bogholderiet", "bogholderi"), ("Camilla Nørgaard", "camilla"),
              ("Frederik Ødegaard", "frederik"))
STRANGERS = (
    Sender("Henrik Jensen", "henrik@jensens-revision.dk", "da", "Jensens Revision"),
    Sender("Birgitte Holm", "bh@hansen-vvs.dk", "da", "Hansen VVS ApS"),
    Sender("Søs Åkjær", "soes@cafe-aabyen.dk", "da", "Café Åbyen"),
    Sender("Anders Lindqvist", "anders@lindqvist-consulting.se", "en", "Lindqvist Consulting AB"),
    Sender("Sarah Miller", "sarah.miller@nordicprint.com", "en", "Nordic Print Solutions"),
    Sender("Kasper Møller", "km@kontorforsyning.dk", "da", "Kontorforsyning A/S"),
)
FREEMAIL = (
    Sender("Peter Møller", "peter.moeller1962@gmail.com", "da", ""),
    Sender("Kirsten Aagaard", "kirsten.aa@hotmail.dk", "da", ""),
    Sender("John Miller", "john.miller.dk@gmail.com", "en", ""),
)


@dataclass(frozen=True)
class SenderPool:
    contacts: tuple[Sender, ...]
    colleagues: tuple[Sender, ...]  # on a customer's domain, but not a registered contact
    freemail: tuple[Sender, ...]  # registered gmail aliases and private strangers
    strangers: tuple[Sender, ...]  # unknown companies

    @classmethod
    def from_registry(cls, path: Path = REGISTRY) -> SenderPool:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        names = {c["key"]: c["name"] for c in data.get("customer", [])}
        devices: dict[str, list[str]] = {}
        for device in data.get("device", []):
            devices.setdefault(device["customer"], []).append(device["tag"])
        contacts, aliases = [], []
        for c in data.get("contact", []):
            tags = tuple(devices.get(c["customer"], []))
            lang = c.get("language", "da")
            contacts.append(Sender(c["name"], c["email"], lang, names[c["customer"]], tags))
            aliases += [Sender(c["name"], alias, lang, names[c["customer"]], tags)
                        for alias in c.get("aliases", [])]
        colleagues = [Sender(name, f"{local}@{domain}", "da", names[c["key"]],
                             tuple(devices.get(c["key"], [])))
                      for c in data.get("customer", []) for domain in c.get("domains", [])
                      for name, local in COLLEAGUES]
        return cls(tuple(contacts), tuple(colleagues), (*aliases, *FREEMAIL), STRANGERS)

    def pick(self, rng: random.Random) -> Sender:
        kind = rng.choices(SENDER_KINDS, weights=SENDER_WEIGHTS)[0]
        group: tuple[Sender, ...] = getattr(self, kind)
        return rng.choice(group)


# --- text --------------------------------------------------------------------------------------------

Topic = tuple[str, tuple[str, ...]]
TOPICS: dict[str, tuple[Topic, ...]] = {
    "da": (
        ("Printeren på kontoret printer ikke", (
            "Printeren på kontoret er holdt op med at printe i morges.",
            'Jobbene ligger bare i køen og står som "Fejl – udskriver".',
            "Jeg har prøvet at slukke og tænde den, uden held.")),
        ("Gæstenettet i butikken er nede", (
            "Kunderne kan ikke komme på gæstenettet i butikken længere.",
            "Vores eget netværk virker fint, det er kun gæstenettet, der er væk.")),
        ("Min bærbare er blevet meget langsom", (
            "Min bærbare er blevet meget langsom, især om morgenen når den starter op.",
            "Det tager over fem minutter, før jeg kan åbne Outlook.")),
        ("Outlook spørger hele tiden efter adgangskoden", (
            "Outlook beder om min adgangskode igen og igen, også selvom jeg skriver den rigtigt.",
            "Det startede efter, at jeg skiftede adgangskode i sidste uge.")),
        ("Backup fejlet på serveren i nat", (
            "Vi har fået en mail om, at backuppen på serveren fejlede i nat.",
            "Fejlkoden er 0x80070005, og det er tredje nat i træk.")),
        ("Ny medarbejder – oprettelse af bruger", (
            "Vi har en ny medarbejder, der starter på mandag.",
            "Hun skal have en mailadresse, adgang til fællesdrevet og en bærbar.")),
        ("NAS'en blinker orange", (
            "NAS'en i kontoret blinker orange, og vi kan ikke se billedarkivet.",
            "Der kom en bippelyd fra den i morges.")),
        ("Papirstop i kopimaskinen", (
            "Kopimaskinen i gangen siger papirstop, men der sidder intet papir fast.",
            "Vi har åbnet alle lågerne og kigget efter.")),
        ("Mistænkelig mail – er det phishing?", (
            "Jeg har fået en mail, der beder mig logge ind på Microsoft for at åbne en faktura.",
            "Afsenderen ligner vores bank, men adressen ser mærkelig ud. Jeg har ikke klikket på noget.")),
        ("AKUT: Serveren svarer ikke", (
            "Ingen af os kan komme på serveren, og kasseprogrammet står stille.",
            "Det haster meget, vi har kunder i butikken.")),
        ("Skærmen flimrer på min pc", (
            "Skærmen flimrer og bliver sort et par sekunder ad gangen.",
            "Jeg har prøvet et andet kabel, men det hjælper ikke.")),
        ("Spørgsmål til fakturaen for oktober", (
            "Vi har modtaget fakturaen for oktober og har et spørgsmål til et par af linjerne.",
            "Der står to timer for et besøg, som vi mener tog en halv time.")),
    ),
    "en": (
        ("Printer not working", (
            "The office printer stopped printing this morning.",
            "Jobs just sit in the queue with the status 'Error – printing'.")),
        ("Webcam not working in Teams after update", (
            "Since the Windows update yesterday the built-in camera no longer works in Teams.",
            "It just shows a black picture, and the Camera app says it can't find a camera.")),
        ("Cannot access the shared drive", (
            "I can no longer open the shared drive from my laptop.",
            "Windows says the network path was not found.")),
        ("VPN keeps disconnecting", (
            "The VPN drops every ten minutes when I work from home.",
            "I have to log in again each time, which is quite annoying.")),
        ("Password reset needed", (
            "I locked myself out of my account after too many attempts.",
            "Could you please reset my password?")),
    ),
}
FILLER = {
    "da": (
        "Fejlen opstod første gang i går eftermiddags.",
        "Jeg har genstartet computeren, men det hjalp ikke.",
        "Det er ret vigtigt for os, at det bliver løst i dag.",
        "Sig endelig til, hvis I skal bruge flere oplysninger fra os.",
        "Det drejer sig om enheden med mærkatet {device}.",
        "Jeg er på kontoret indtil kl. 16, hvis I vil ringe.",
        "Det gælder både for mig og for mine kolleger i butikken.",
        "Vi har ikke ændret noget, så vidt jeg ved.",
        "Der står en fejlmeddelelse på skærmen, som jeg har taget et billede af.",
        "Kan I kigge på det via fjernsupport, eller skal I ud til os?",
        "På forhånd tak for hjælpen – I er altid hurtige.",
        "Vi åbner igen i morgen kl. 6, så det er fint, hvis det kan nås inden da.",
    ),
    "en": (
        "It first happened yesterday afternoon.",
        "I have restarted the computer, but that did not help.",
        "It concerns the device labelled {device}.",
        "Please let me know if you need any more information.",
        "I am in the office until 4 pm if you want to call.",
        "Nothing has been changed on our side as far as I know.",
        "Could you look at it remotely, or do you need to come by?",
    ),
}
REPLY_TEXT = {
    "da": (
        "Tak for hjælpen, nu virker det igen.", "Det virker desværre stadig ikke.",
        "Nu gør den præcis det samme igen.", "Hvornår kan I komme forbi og kigge på det?",
        "Jeg har prøvet det, I skrev, men fejlen kommer stadig.", "Det passer fint på torsdag formiddag.",
        "Skal jeg gøre noget, inden I kommer?", "Super, tusind tak!",
    ),
    "en": (
        "Thanks, it works again now.", "Unfortunately it still does not work.",
        "It is doing exactly the same thing again.", "When can you come by and take a look?",
        "Thursday morning works for me.", "Great, thank you very much!",
    ),
}
MICO_ANSWER = {
    "da": ("Tak for din henvendelse.", "Vi har kigget på det via fjernsupport og genstartet tjenesten.",
           "Prøv venligst igen og giv os besked, hvis fejlen kommer igen."),
    "en": ("Thank you for contacting us.", "We have looked at it remotely and restarted the service.",
           "Please try again and let us know if the problem comes back."),
}
GREETINGS = {"da": ("Hej MICO", "Hej", "Hej support", "Goddag", "Hej Jonas"),
             "en": ("Hi,", "Hello", "Hi MICO,")}
SIGNOFFS = {"da": ("Med venlig hilsen", "Venlig hilsen", "Mvh.", "Hilsen", "Vh."),
            "en": ("Best regards,", "Kind regards,", "Thanks,", "Regards,")}
DA_MONTHS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
MAILERS = ("Microsoft Outlook 16.0", "Apple Mail (2.3774.600.62)", "Mozilla Thunderbird",
           "iPhone Mail (21G93)")


def _wrap(sentences: list[str]) -> list[str]:
    return textwrap.wrap(" ".join(sentences), width=76) or [""]


def _signature(rng: random.Random, sender: Sender) -> list[str]:
    lines = ["", rng.choice(SIGNOFFS[sender.language]), sender.name]
    if sender.company and rng.random() < 0.7:
        lines += [sender.company, f"Tlf. {rng.randint(20, 99)} {rng.randint(10, 99)} "
                                  f"{rng.randint(10, 99)} {rng.randint(10, 99)}"]
    return lines


def _filler(rng: random.Random, sender: Sender) -> str:
    sentence = rng.choice(FILLER[sender.language])
    if "{device}" not in sentence:
        return sentence
    if not sender.devices:
        return FILLER[sender.language][0]
    return sentence.format(device=rng.choice(sender.devices))


def compose(rng: random.Random, sender: Sender) -> tuple[str, list[str]]:
    """A subject and 3–30 lines of body: greeting, the problem, some detail, sign-off, signature."""
    subject, problem = rng.choice(TOPICS[sender.language])
    target = rng.randint(3, 30)
    signature = _signature(rng, sender)
    opening = _wrap(list(problem[: rng.randint(1, len(problem))]))
    lines = [rng.choice(GREETINGS[sender.language]), "", *opening]
    while len(lines) + len(signature) < target:
        paragraph = list(dict.fromkeys(_filler(rng, sender) for _ in range(rng.randint(1, 3))))
        lines += ["", *_wrap(paragraph)]
    lines = lines[: max(30 - len(signature), 3)]
    if target <= 5:  # a very short mail: the problem in a sentence or two, and a first name
        lines, signature = _wrap(list(problem[:2])), [sender.name.split()[0]]
    return subject, [*lines, *signature]


def quote_header(sent: Sent, who: str) -> str:
    when = sent.date
    if sent.sender.language == "en":
        return f"On {when:%a, %d %b %Y} at {when:%H:%M}, {who} wrote:"
    return f"Den {when.day}. {DA_MONTHS[when.month - 1]} {when.year} kl. {when:%H.%M} skrev {who}:"


def quoted(lines: tuple[str, ...] | list[str]) -> list[str]:
    return [f"> {line}".rstrip() for line in lines]


# --- HTML --------------------------------------------------------------------------------------------

OUTLOOK_HEAD = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w="urn:schemas-microsoft-com:office:word" '
    'xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
    'xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
    '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">\n<style><!--\n'
    "/* Font Definitions */\n@font-face {font-family:\"Cambria Math\"; panose-1:2 4 5 3 5 4 6 3 2 4;}\n"
    "@font-face {font-family:Aptos;}\n"
    "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt;\n"
    "\tfont-family:\"Aptos\",sans-serif;}\n"
    "a:link, span.MsoHyperlink {mso-style-priority:99; color:#467886; text-decoration:underline;}\n"
    "span.EmailStyle17 {mso-style-type:personal-compose;\n"
    "\tfont-family:\"Aptos\",sans-serif; color:windowtext;}\n"
    ".MsoChpDefault {mso-style-type:export-only; font-size:10.0pt; mso-ligatures:none;}\n"
    "@page WordSection1 {size:612.0pt 792.0pt; margin:72.0pt 72.0pt 72.0pt 72.0pt;}\n"
    "div.WordSection1 {page:WordSection1;}\n--></style>\n"
    '<!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]-->\n'
    '</head>\n<body lang="DA" link="#467886" vlink="#96607D" style="word-wrap:break-word">\n'
    '<div class="WordSection1">\n'
)
OUTLOOK_TAIL = "</div>\n</body>\n</html>\n"


def outlook_html(lines: list[str]) -> str:
    """The body as Outlook writes it: one MsoNormal paragraph per line, empty lines as &nbsp;."""
    paragraphs = [f'<p class="MsoNormal">{html.escape(line, quote=False)}<o:p></o:p></p>' if line.strip()
                  else '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>' for line in lines]
    return OUTLOOK_HEAD + "\n".join(paragraphs) + "\n" + OUTLOOK_TAIL


# --- attachments -------------------------------------------------------------------------------------

AttachmentKind = tuple[str, str, bytes, tuple[str, ...]]
ATTACHMENT_KINDS: tuple[AttachmentKind, ...] = (
    ("image", "png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
     ("Skærmbillede 2026-11-{day:02d} kl. {hour}.{minute:02d}.png", "fejlbesked.png", "screenshot.png")),
    ("application", "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
     ("Faktura {number}.pdf", "Tilbud på ny bærbar.pdf", "scan_{number}.pdf")),
    ("image", "jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
     ("IMG_{number}.jpg", "billede af printeren.jpg")),
)


def attachment_size(rng: random.Random) -> int:
    """Lognormal around a 100 KB median, kept within 20 KB–1 MB."""
    size = math.exp(rng.gauss(math.log(100 * KIB), 0.8))
    return int(min(max(size, 20 * KIB), 1024 * KIB))


def add_attachment(msg: EmailMessage, rng: random.Random, when: datetime, size: int | None = None) -> None:
    maintype, subtype, magic, names = rng.choice(ATTACHMENT_KINDS)
    size = size or attachment_size(rng)
    filename = rng.choice(names).format(day=when.day, hour=when.hour, minute=when.minute,
                                        number=rng.randint(1000, 9999))
    msg.add_attachment(magic + rng.randbytes(size - len(magic)), maintype=maintype, subtype=subtype,
                       filename=filename)


# --- messages ----------------------------------------------------------------------------------------


def message_id(rng: random.Random, sender: Sender) -> str:
    domain = sender.address.rpartition("@")[2]
    if domain == "gmail.com":
        token = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", k=44))
        return f"<CA{token}@mail.gmail.com>"
    if rng.random() < 0.5:  # Outlook
        parts = "$".join(f"{rng.getrandbits(32):08x}" for _ in range(3))
        return f"<000001db{parts}$@{domain}>"
    hexes = f"{rng.getrandbits(128):032X}"
    return f"<{hexes[:8]}-{hexes[8:12]}-{hexes[12:16]}-{hexes[16:20]}-{hexes[20:]}@{domain}>"


def mail_dates(rng: random.Random, n: int) -> list[datetime]:
    """n send times over 2–27 November 2026, mostly in working hours, in order."""
    dates = []
    for _ in range(n):
        day = rng.randint(2, 27)
        hour = rng.randint(7, 17) if rng.random() < 0.85 else rng.randint(0, 23)
        dates.append(datetime(2026, 11, day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=CET))
    return sorted(dates)


def set_text(msg: EmailMessage, rng: random.Random, lines: list[str], html_too: bool) -> None:
    msg.set_content("\n".join(lines) + "\n", cte=QP)
    if html_too:
        msg.add_alternative(outlook_html(lines), subtype="html", cte=QP)


class Corpus:
    """Builds the mails one by one; remembers what was sent so that replies can quote it."""

    def __init__(self, rng: random.Random, pool: SenderPool) -> None:
        self.rng = rng
        self.pool = pool
        self.history: list[Sent] = []
        self.ids: set[str] = set()

    def headers(self, sender: Sender, subject: str, when: datetime,
                references: tuple[str, ...]) -> EmailMessage:
        rng, msg = self.rng, EmailMessage()
        stamp = format_datetime(when)
        host = f"mail.{sender.address.rpartition('@')[2]}"
        msg["Return-Path"] = f"<{sender.address}>"
        msg["Received"] = (f"from {host} ({host} [198.51.100.{rng.randint(2, 250)}]) by mx.mico.dk "
                           f"(Postfix) with ESMTPS id 4P{rng.getrandbits(40):010X} for <{SUPPORT}>; {stamp}")
        msg["From"] = Address(sender.name, addr_spec=sender.address)
        msg["To"] = Address("MICO Support", addr_spec=SUPPORT)
        msg["Subject"] = subject
        msg["Date"] = stamp
        msg["Message-ID"] = self.new_id(sender)
        if references:
            msg["In-Reply-To"] = references[-1]
            msg["References"] = " ".join(references)
        msg["X-Mailer"] = rng.choice(MAILERS)
        return msg

    def new_id(self, sender: Sender) -> str:
        found = message_id(self.rng, sender)
        while found in self.ids:
            found = message_id(self.rng, sender)
        self.ids.add(found)
        return found

    def remember(self, msg: EmailMessage, sender: Sender, subject: str, when: datetime, lines: list[str],
                 references: tuple[str, ...]) -> None:
        self.history.append(Sent(str(msg["Message-ID"]), subject, sender, when, tuple(lines), references))

    def fresh(self, shape: str, when: datetime) -> EmailMessage:
        """A new request: plain, alternative, HTML only, or with attachments."""
        sender = self.pool.pick(self.rng)
        subject, lines = compose(self.rng, sender)
        msg = self.headers(sender, subject, when, ())
        if shape == "html":
            msg.set_content(outlook_html(lines), subtype="html", cte=QP)
        else:
            html_too = shape == "alternative" or (shape == "attachments" and self.rng.random() < 0.3)
            set_text(msg, self.rng, lines, html_too)
        if shape == "attachments":
            for _ in range(self.rng.choice((1, 1, 1, 2))):
                add_attachment(msg, self.rng, when)
        self.remember(msg, sender, subject, when, lines, ())
        return msg

    def reply(self, when: datetime) -> EmailMessage:
        """The sender follows up on an earlier mail, quoting either it or MICO's answer to it."""
        rng = self.rng
        earlier = rng.choice(self.history[-200:])
        sender, lang = earlier.sender, earlier.sender.language
        prefix = "Re: " if lang == "en" else rng.choice(("Sv: ", "SV: ", "Re: "))
        subject = earlier.subject
        if not subject.lower().startswith(("sv:", "re:")):
            subject = prefix + subject
        references = (*earlier.references[-9:], earlier.message_id)
        new = [*_wrap(rng.sample(REPLY_TEXT[lang], rng.randint(1, 3))),
               *_signature(rng, sender)[:3]]
        if rng.random() < 0.5:
            history = [quote_header(earlier, f"{sender.name} <{sender.address}>"), "", *quoted(earlier.lines)]
        else:
            answer = [*MICO_ANSWER[lang], "", "MICO Support", "", quote_header(earlier, sender.name),
                      *quoted(earlier.lines)]
            history = [quote_header(earlier, f"MICO Support <{SUPPORT}>"), "", *quoted(answer)]
        msg = self.headers(sender, subject, when, references)
        set_text(msg, rng, [*new, "", *history], html_too=rng.random() < 0.3)
        self.remember(msg, sender, subject, when, new, references)
        return msg

    def mail(self, when: datetime) -> tuple[str, EmailMessage]:
        shape = self.rng.choices(SHAPES, weights=SHAPE_WEIGHTS)[0]
        if shape == "reply" and not self.history:
            shape = "plain"
        return shape, self.reply(when) if shape == "reply" else self.fresh(shape, when)


def as_bytes(msg: EmailMessage, rng: random.Random) -> bytes:
    """The message's bytes, with seeded MIME boundaries (the stdlib would draw them from the global random)."""
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f"----=_Part_{rng.getrandbits(64):016x}")
    return msg.as_bytes()


def generate(n: int, out_dir: Path, seed: int = 1234) -> list[Path]:
    """Write n mails as out_dir/NNNNNN-<shape>.eml (file order = date order); returns their paths."""
    rng = random.Random(seed)
    corpus = Corpus(rng, SenderPool.from_registry())
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, when in enumerate(mail_dates(rng, n)):
        shape, msg = corpus.mail(when)
        path = out_dir / f"{index:06d}-{shape}.eml"
        path.write_bytes(as_bytes(msg, rng))
        paths.append(path)
    return paths


def big_attachment(path: Path, mb: int = 25, seed: int = 1234) -> Path:
    """One plain mail from a registered contact with an mb MiB (mb × 1,048,576 bytes) random .zip attached."""
    rng = random.Random(seed)
    pool = SenderPool.from_registry()
    sender = pool.contacts[0]
    when = datetime(2026, 11, 12, 10, 14, 3, tzinfo=CET)
    lines = ["Hej MICO", "", "Her er logfilerne fra serveren, som I bad om i telefonen.",
             "Backuppen fejler stadig hver nat.", *_signature(rng, sender)]
    msg = Corpus(rng, pool).headers(sender, "Logfiler fra serveren – backup fejler stadig", when, ())
    set_text(msg, rng, lines, html_too=False)
    payload = b"PK\x03\x04" + rng.randbytes(mb * KIB * KIB - 4)
    msg.add_attachment(payload, maintype="application", subtype="zip", filename="serverlogs-2026-11-12.zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(as_bytes(msg, rng))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=1000, help="number of mails (default 1000)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the .eml files")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--big", type=Path, help="also write one mail with a big attachment to this file")
    parser.add_argument("--big-mb", type=int, default=25, help="size of that attachment in MiB (default 25)")
    args = parser.parse_args(argv)
    paths = generate(args.n, args.out, args.seed)
    summary: dict[str, Any] = {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths)}
    if args.big:
        summary["big"] = str(big_attachment(args.big, args.big_mb, args.seed))
        summary["big_bytes"] = args.big.stat().st_size
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
