"""Driving `inbox-worker doctor` in tests: a config file from plain values, the run, its lines by check."""

from __future__ import annotations

import contextlib
import io
import json
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_worker.cli import main
from inbox_worker.features.doctor.check import LABELS
from tests.conftest import SmtpCapture, free_port

IMAP_PASSWORD_ENV, SMTP_PASSWORD_ENV, WEB_KEY_ENV = "DOCTOR_IMAP_PASSWORD", "DOCTOR_SMTP_PASSWORD", "DOCTOR_WEB_KEY"
SMTP_USER, SMTP_PASSWORD = "support@mico.dk", "smtp-hemmelighed-7"
WEB_KEY = "k" * 43


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """A TOML config file of these sections (strings, numbers and booleans: JSON writes them as TOML does)."""
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class DoctorRun:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> dict[str, str]:
        """Each check's line by its id ('imap.login'), from the Danish label the line starts with."""
        by_label = {label: name for name, label in LABELS.items()}
        found = {}
        for line in self.out.splitlines():
            mark, _, rest = line.partition(" ")
            label = rest.partition(":")[0]
            if mark in ("✓", "✗", "–") and label in by_label:
                found[by_label[label]] = line
        return found

    def marked(self, mark: str) -> set[str]:
        return {name for name, line in self.lines.items() if line.startswith(mark)}

    @property
    def failed(self) -> set[str]:
        return self.marked("✗")

    @property
    def skipped(self) -> set[str]:
        return self.marked("–")


def run_doctor(config: Path, *extra: str) -> DoctorRun:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), "doctor", *extra])
    return DoctorRun(code, out.getvalue(), err.getvalue())


@dataclass
class SmtpRecorder(SmtpCapture):
    """An SMTP server's handler that also records every MAIL FROM (doctor must never give one)."""

    mail_from: list[str] = field(default_factory=list)
    ca_file: str = ""  # the throwaway CA that signed the server's certificate (PEM), for [smtp] ca_file

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.mail_from.append(address)
        envelope.mail_from = address
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535 itself


@contextlib.contextmanager
def smtp_server(*, starttls: bool = True, ca_dir: Path | None = None) -> Iterator[SmtpRecorder]:
    """A real aiosmtpd with AUTH (after STARTTLS, on a throwaway CA's certificate), or without TLS at all."""
    import trustme
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder("127.0.0.1", free_port())
    options: dict[str, Any] = {"authenticator": _authenticator, "auth_require_tls": starttls}
    if starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority = trustme.CA()
        authority.issue_cert("127.0.0.1").configure_cert(context)
        ca_path = Path(tempfile.mkdtemp(dir=ca_dir)) / "ca.pem"
        authority.cert_pem.write_to_path(str(ca_path))
        recorder.ca_file = str(ca_path)
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port, **options)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


def closed_port() -> int:
    """A port nothing listens on: bound once, then closed."""
    return free_port()
