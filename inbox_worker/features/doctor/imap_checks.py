"""The IMAP checks: the server answers, the login works as the worker logs in, its folders exist, IDLE and MOVE.

Through the worker's own adapter (mail/sources/imap.py), with a short timeout; it creates and moves nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from inbox_worker.config import MailboxSettings
from inbox_worker.errors import UserError
from inbox_worker.features.doctor.check import Check, failed, passed, skipped
from inbox_worker.features.doctor.network import server_said, timeout_for, why_unreachable
from inbox_worker.mail.sources.imap import CONNECTION_ERRORS, ImapMailbox, LoginRefused, login_mechanism

AFTER_CONNECT = ["imap.login", "imap.capabilities", "imap.folder", "imap.processed_folder"]
AFTER_LOGIN = AFTER_CONNECT[1:]


def imap_checks(configured: MailboxSettings) -> Iterator[Check]:
    s = dataclasses.replace(configured, timeout_seconds=timeout_for(configured.timeout_seconds))
    if not s.host:
        yield failed("imap.connect", "mailbox.host er ikke sat", "angiv IMAP-serveren i [mailbox] (host, port, ssl)")
        yield from skipped(AFTER_CONNECT, "ingen IMAP-server angivet")
        return
    where = f"{s.host}:{s.port}"
    mailbox = ImapMailbox(s)
    try:
        mailbox.open()
    except CONNECTION_ERRORS as exc:
        yield failed("imap.connect", f"{where}: {why_unreachable(exc, s.timeout_seconds)}",
                     "kontrollér mailbox.host, mailbox.port og mailbox.ssl/starttls, og at serveren kan nås herfra")
        yield from skipped(AFTER_CONNECT, "ingen forbindelse til IMAP-serveren")
        return
    try:
        yield passed("imap.connect", f"{where} svarer ({_transport(s)})")
        login = _login(mailbox, where)
        yield login
        if not login.ok:
            yield from skipped(AFTER_LOGIN, "login mislykkedes")
            return
        yield _capabilities(mailbox)
        yield from _folders(mailbox)
    finally:
        mailbox.close()


def _transport(s: MailboxSettings) -> str:
    if s.ssl:
        return "TLS"
    return "STARTTLS" if s.starttls else "ukrypteret"


def _login(mailbox: ImapMailbox, where: str) -> Check:
    s = mailbox.settings
    mechanism = login_mechanism(s)
    try:
        mailbox.log_in()
    except UserError as exc:
        return failed("imap.login", str(exc), "sæt tokenkilden i [mailbox]: oauth_token_env eller oauth_token_command")
    except LoginRefused as exc:
        return failed("imap.login", f"login afvist for {s.username} på {where} ({server_said(exc)})",
                      _login_advice(s))
    except CONNECTION_ERRORS as exc:
        return failed("imap.login",
                      f"forbindelsen til {where} svigtede under login: {why_unreachable(exc, s.timeout_seconds)}",
                      "prøv igen; fortsætter det, kontrollér serveren og netværket")
    return passed("imap.login", f"{s.username} logget ind ({_source(s, mechanism)})")


def _source(s: MailboxSettings, mechanism: str) -> str:
    if mechanism != "XOAUTH2":
        return f"{mechanism}, adgangskode fra ${s.password_env}" if s.password_env else mechanism
    return f"XOAUTH2, token fra ${s.oauth_token_env}" if s.oauth_token_env else "XOAUTH2, token fra oauth_token_command"


def _login_advice(s: MailboxSettings) -> str:
    if s.auth == "xoauth2":
        return ("tokenet er ugyldigt eller udløbet, eller kontoen må ikke bruge IMAP: forny tokenet "
                "(oauth_token_env / oauth_token_command) og kontrollér kontoens rettigheder")
    if not s.password:
        return "der er ingen adgangskode: sæt mailbox.password_env til en miljøvariabel med den"
    if s.password_env:
        return f"ret adgangskoden i ${s.password_env} (og mailbox.username)"
    return "ret mailbox.password (eller brug password_env) og mailbox.username"


def _capabilities(mailbox: ImapMailbox) -> Check:
    """IDLE and MOVE, or how the worker does without them (a server without them still works)."""
    every = f"arbejderen spørger efter ny post hvert {mailbox.settings.poll_interval_seconds}. sekund"
    idle = "IDLE" if mailbox.has_idle else f"uden IDLE ({every})"
    if mailbox.has_idle and not mailbox.settings.idle:
        idle = f"IDLE, men slået fra i mailbox.idle ({every})"
    move = "MOVE" if mailbox.has_move else "uden MOVE (behandlet post flyttes med COPY og EXPUNGE)"
    return passed("imap.capabilities", "IDLE og MOVE" if (idle, move) == ("IDLE", "MOVE") else f"{idle}; {move}")


def _folders(mailbox: ImapMailbox) -> Iterator[Check]:
    s = mailbox.settings
    try:
        yield _folder(mailbox, "imap.folder", s.folder, "mailbox.folder")
        if not s.processed_folder:
            yield passed("imap.processed_folder", f"ikke sat: behandlet post bliver i {s.folder}, markeret "
                         "\\Seen og $MicoProcessed")
        else:
            yield _folder(mailbox, "imap.processed_folder", s.processed_folder, "mailbox.processed_folder")
    except CONNECTION_ERRORS as exc:
        yield failed("imap.folder", f"forbindelsen svigtede: {why_unreachable(exc, s.timeout_seconds)}",
                     "prøv igen; fortsætter det, kontrollér serveren")


def _folder(mailbox: ImapMailbox, name: str, folder: str, key: str) -> Check:
    count = mailbox.message_count(folder)
    if count is not None:
        return passed(name, f"{folder} findes ({count} mail{'s' if count != 1 else ''})")
    advice = f"ret {key} (serveren har: {', '.join(mailbox.folder_names()[:12])})"
    if name == "imap.processed_folder":
        advice = ("opret den på serveren (inbox-worker run opretter den selv ved første forbindelse, hvis kontoen "
                  f"må), eller {advice}")
    return failed(name, f"mappen {folder!r} findes ikke for {mailbox.settings.username}", advice)
