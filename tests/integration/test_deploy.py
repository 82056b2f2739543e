"""The systemd units in deploy/ (issue 13, item 7): they load, they hold the settings the README promises,
they run commands that exist, and the worker stops the way `systemctl stop` stops it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inbox_worker.cli import build_parser
from inbox_worker.config import Settings
from inbox_worker.store.models import RawMessage, Ticket
from tests.conftest import ROOT
from tests.integration.test_imap_worker import count, mails, write_worker_config

DEPLOY = ROOT / "deploy"
SERVICES = ["inbox-worker.service", "inbox-worker-web.service", "inbox-worker-backup.service"]
UNITS = [*SERVICES, "inbox-worker-backup.timer"]
BINARY = "/opt/inbox-worker/bin/inbox-worker"
STATE = "/var/lib/inbox-worker"


def settings_of(name: str) -> dict[str, list[str]]:
    """Every key of a unit file with its values in order (systemd keys may repeat), section-qualified."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return values


def one(values: dict[str, list[str]], key: str) -> str:
    assert len(values.get(key, [])) == 1, f"{key}: {values.get(key)}"
    return values[key][0]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_as_its_own_user_with_the_config_secrets_and_state_dir(name: str) -> None:
    unit = settings_of(name)

    assert one(unit, "Service.User") == "inbox-worker" and one(unit, "Service.Group") == "inbox-worker"
    assert one(unit, "Service.EnvironmentFile") == "/etc/inbox-worker/env"
    assert "INBOX_WORKER_CONFIG=/etc/inbox-worker/config.toml" in unit["Service.Environment"]
    assert one(unit, "Service.StateDirectory") == "inbox-worker"
    assert one(unit, "Service.WorkingDirectory") == STATE
    assert STATE in one(unit, "Service.ReadWritePaths").split()


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_hardened(name: str) -> None:
    unit = settings_of(name)

    for key, value in {"NoNewPrivileges": "true", "ProtectSystem": "strict", "ProtectHome": "true",
                       "PrivateTmp": "true", "PrivateDevices": "true", "ProtectKernelTunables": "true",
                       "ProtectKernelModules": "true", "ProtectControlGroups": "true", "CapabilityBoundingSet": "",
                       "RestrictNamespaces": "true", "RestrictSUIDSGID": "true", "LockPersonality": "true",
                       "SystemCallArchitectures": "native"}.items():
        assert one(unit, f"Service.{key}") == value, key
    assert unit["Service.SystemCallFilter"][0] == "@system-service"
    assert set(one(unit, "Service.RestrictAddressFamilies").split()) <= {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert "Service.MemoryDenyWriteExecute" not in unit  # cffi and ctypes may need it


@pytest.mark.parametrize(("name", "command"), [("inbox-worker.service", ["run"]),
                                               ("inbox-worker-web.service", ["web"])])
def test_the_long_running_services_run_the_worker_and_the_web_ui_and_restart_on_failure(
        name: str, command: list[str]) -> None:
    unit = settings_of(name)
    argv = shlex.split(one(unit, "Service.ExecStart"))

    assert argv[0] == BINARY and [a for a in argv[1:] if not a.startswith("-")] == command
    assert build_parser().parse_args(argv[1:]).run.__name__ == f"cmd_{command[0]}"  # a command that exists
    assert one(unit, "Service.Restart") == "on-failure"
    assert one(unit, "Install.WantedBy") == "multi-user.target"
    assert "network-online.target" in one(unit, "Unit.After") and one(unit, "Unit.Wants") == "network-online.target"


def test_the_worker_is_stopped_by_sigterm_to_itself_alone() -> None:
    unit = settings_of("inbox-worker.service")

    # mixed: its parse and fetch processes are its to stop, after the mail in hand (tested below).
    assert one(unit, "Service.KillMode") == "mixed" and one(unit, "Service.KillSignal") == "SIGTERM"
    assert "--verbose" in one(unit, "Service.ExecStart")  # the per-mail log lines go to the journal


def test_the_backup_timer_runs_the_backup_command_nightly() -> None:
    unit, timer = settings_of("inbox-worker-backup.service"), settings_of("inbox-worker-backup.timer")
    shell = shlex.split(one(unit, "Service.ExecStart"))

    assert one(unit, "Service.Type") == "oneshot" and one(unit, "Service.PrivateNetwork") == "true"
    assert shell[:2] == ["/bin/sh", "-c"] and shlex.split(shell[2])[:3] == ["exec", BINARY, "backup"]
    assert "-/var/backups/inbox-worker" in one(unit, "Service.ReadWritePaths").split()
    assert one(timer, "Timer.OnCalendar") and one(timer, "Timer.Persistent") == "true"
    assert one(timer, "Install.WantedBy") == "timers.target"


def stand_in_units(tmp_path: Path) -> Path:
    """The units as shipped, but with ExecStart pointing at a stand-in binary (verify wants it to exist)."""
    binary = tmp_path / "opt" / "inbox-worker" / "bin" / "inbox-worker"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (units / name).write_text(text.replace(BINARY, str(binary)), encoding="utf-8")
    return units


def needs_systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: the systemd package)")
    return tool


def test_systemd_analyze_verify_finds_nothing_to_complain_about(tmp_path: Path) -> None:
    tool = needs_systemd_analyze()
    units = stand_in_units(tmp_path)

    done = subprocess.run([tool, "verify", "--man=no", *(str(units / name) for name in UNITS)],
                          capture_output=True, text=True, timeout=60)

    # verify exits 0 on an unknown key or a bad value, but says so: any output is a finding.
    assert done.returncode == 0 and done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_analyze_security_rates_every_service_2_or_less(tmp_path: Path, name: str) -> None:
    tool = needs_systemd_analyze()
    units = stand_in_units(tmp_path)

    # The overall exposure on systemd's 0-100 scale (shown as 0.0-10.0): 20 is 2.0, well within "OK".
    done = subprocess.run([tool, "security", "--offline=true", "--threshold=20", "--no-pager", str(units / name)],
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr


def running_in_group(group: int) -> list[str]:
    """The processes of a process group that still run (not zombies waiting to be reaped), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(stat.parent.name)
    return found


@pytest.fixture
def on_sqlite(db_url: str) -> None:
    """First among a test's fixtures: skips before Dovecot and a database are set up for nothing."""
    if not db_url.startswith("sqlite"):
        pytest.skip("stopping is the same for both databases: once, on SQLite, is enough")


def test_the_worker_stopped_as_systemd_stops_it_finishes_cleanly_and_loses_nothing(
        on_sqlite: None, imap_settings: Settings, engine: Engine, dovecot: Any, tmp_path: Path) -> None:
    """KillMode=mixed: SIGTERM to the main process alone, in the middle of a backlog; then whatever is left
    of its process group would be killed. It exits 0 on its own with no process left behind, nothing is
    quarantined, every mail moved to the processed folder has its ticket, and the next start does the rest."""
    total = 80
    config = write_worker_config(tmp_path / "worker.toml", imap_settings)
    dovecot.append(mails(total))
    env = {"PATH": "/usr/bin:/bin", "TEST_IMAP_PASSWORD": dovecot.password}
    process = subprocess.Popen([sys.executable, "-m", "inbox_worker", "--config", str(config), "--verbose", "run"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)  # its own process group, as systemd gives it a cgroup
    deadline = time.monotonic() + 30
    while count(engine, Ticket) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)

    os.kill(process.pid, signal.SIGTERM)
    _out, err = process.communicate(timeout=30)

    assert process.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    # No parse or fetch process outlives it for long (multiprocessing's resource tracker ends just after it).
    deadline = time.monotonic() + 2
    while running_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_in_group(process.pid) == []
    done = count(engine, Ticket)
    assert 0 < done < total, "stopped after the backlog was done: the test proves nothing, make it larger"
    with Session(engine) as session:
        quarantined = session.scalar(select(func.count()).select_from(RawMessage)
                                     .where(RawMessage.outcome == "quarantined"))
    assert quarantined == 0
    assert dovecot.count("Behandlet") <= done and dovecot.count("INBOX") + dovecot.count("Behandlet") == total

    again = subprocess.run([sys.executable, "-m", "inbox_worker", "--config", str(config), "poll", "--once"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert count(engine, Ticket) == total and dovecot.count("INBOX") == 0
