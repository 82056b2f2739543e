"""The wheel is the whole program: built from the sources, installed into a fresh environment, it runs `demo`
and `explain` from an empty folder, with the rules and templates it carries and nothing from the checkout.

Offline and quick (about 15 s): the wheel is built without build isolation when the test environment's
setuptools is recent enough (the `test` extra asks for it), and installed with `--no-deps --no-index`. Its
dependencies come from this test environment, but only those its metadata declares (and theirs, in turn):
a folder of links to exactly those distributions is put on the new environment's path, so a module the
program imports without declaring it fails here as it would for a real install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import Distribution, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import inbox_worker
from tests.conftest import ROOT

PACKAGE = ROOT / "inbox_worker"
TEST_TOOLS = {"pytest", "hypothesis", "aiosmtpd", "ruff", "mypy", "playwright", "import-linter", "setuptools"}


def run(command: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def build_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    """`pip wheel` over a copy of what the build reads, so nothing stale in the checkout (build/) slips in."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "inbox_worker", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The test environment's setuptools builds it offline; an older one leaves pip to fetch what pyproject asks for.
    offline = ["--no-build-isolation"] if Version(distribution("setuptools").version) >= Version("77") else []
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *offline,
         "-w", tmp_path / "dist", source], tmp_path, env, timeout=180)
    (wheel,) = (tmp_path / "dist").glob("inbox_worker-*.whl")
    return wheel


def declared_dependencies(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode()
    lines = [line.partition(":")[2].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    return [req for req in map(Requirement, lines) if req.marker is None or req.marker.evaluate({"extra": ""})]


def closure(requirements: list[Requirement]) -> dict[str, Distribution]:
    """The installed distributions these requirements pull in, with their own requirements, transitively."""
    found: dict[str, Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = list(requirements)
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        dist = found.setdefault(key[0], distribution(req.name))
        extras = {"", *req.extras}
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({"extra": extra}) for extra in extras):
                todo.append(sub)
    return found


def link_dependencies(dists: dict[str, Distribution], folder: Path) -> None:
    """Links to each distribution's top-level files (packages, modules, .libs, dist-info): nothing else."""
    folder.mkdir()
    for dist in dists.values():
        assert dist.files is not None, f"{dist.metadata['Name']} has no RECORD"
        for top in {Path(file).parts[0] for file in dist.files} - {"..", "__pycache__"}:
            if not (folder / top).exists():
                (folder / top).symlink_to(Path(str(dist.locate_file(top))))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp), **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}}
    wheel = build_wheel(tmp, env)
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp, env).stdout.strip())
    link_dependencies(closure(declared_dependencies(wheel)), tmp / "deps")
    (site / "_dependencies.pth").write_text(f"{tmp / 'deps'}\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel],
        tmp, env)
    empty = tmp / "empty"
    empty.mkdir()
    return {"wheel": wheel, "venv": venv, "site": site, "cwd": empty}


def in_venv(installed: dict[str, Path], *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{installed['venv'] / 'bin'}:/usr/bin:/bin", "HOME": str(installed["cwd"])}
    return run([installed["venv"] / "bin" / "inbox-worker", *args], cwd or installed["cwd"], env)


def test_the_wheel_carries_the_rules_templates_demo_and_migrations(installed: dict[str, Path]) -> None:
    with zipfile.ZipFile(installed["wheel"]) as archive:
        names = set(archive.namelist())
    for folder in ("rules", "templates", "demo", "store/migrations"):
        on_disk = {path.relative_to(ROOT).as_posix() for path in (PACKAGE / folder).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}
        assert on_disk and on_disk <= names, f"missing from the wheel: {sorted(on_disk - names)}"
    assert "inbox_worker/templates/web/static/style.css" in names
    assert not any(name.startswith(("tests/", "bench/", "rules/", "templates/")) for name in names)


def test_the_wheel_pulls_runtime_dependencies_only(installed: dict[str, Path]) -> None:
    declared = {canonicalize_name(req.name) for req in declared_dependencies(installed["wheel"])}
    assert declared and not declared & {canonicalize_name(name) for name in TEST_TOOLS}
    assert {"sqlalchemy", "alembic", "jinja2", "flask", "mail-parser"} <= declared


def test_every_module_imports_with_the_declared_dependencies_alone(installed: dict[str, Path]) -> None:
    code = ("import importlib, pkgutil, inbox_worker\n"
            "names = [m.name for m in pkgutil.walk_packages(inbox_worker.__path__, 'inbox_worker.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "print(len(names))")
    result = run([installed["venv"] / "bin" / "python", "-c", code], installed["cwd"], {"PATH": "/usr/bin:/bin"})
    assert int(result.stdout) > 100


def test_the_installed_package_runs_demo_and_explain_from_an_empty_folder(installed: dict[str, Path]) -> None:
    where = subprocess.run([installed["venv"] / "bin" / "python", "-c", "import inbox_worker; print(inbox_worker.__file__)"],
                           cwd=installed["cwd"], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed["site"]), where.stdout
    assert in_venv(installed, "--version").stdout.strip() == f"inbox-worker {inbox_worker.__version__}"

    demo = in_venv(installed, "demo")
    assert len([line for line in demo.stdout.splitlines() if line.startswith("#")]) >= 15, demo.stdout
    assert (installed["cwd"] / "var" / "inbox.db").exists()
    demo_inbox = installed["site"] / "inbox_worker" / "demo" / "inbox"
    assert f"inbox-worker explain {demo_inbox / '01-printer-printer-ikke.eml'}" in demo.stdout  # a path that works
    mail = demo_inbox / "07-backup-fejlet-server-langsom.eml"
    decision = json.loads(in_venv(installed, "explain", mail).stdout)
    assert decision["outcome"] == "duplicate" and decision["ticket"]  # demo stored it; explain says what ingest would


def test_rules_copy_from_the_installed_package_is_what_the_config_then_uses(installed: dict[str, Path]) -> None:
    folder = installed["cwd"] / "edit"
    copied = in_venv(installed, "rules", "copy", folder)
    lines = copied.stdout.splitlines()
    paths = lines[lines.index("[paths]"):]
    assert paths == ["[paths]", f'rules = "{folder / "rules"}"', f'templates = "{folder / "templates"}"']
    assert (folder / "templates" / "web" / "static" / "style.css").exists()
    guard = folder / "rules" / "guard.toml"
    guard.write_text(guard.read_text(encoding="utf-8") + "\nthis line is not TOML\n", encoding="utf-8")
    config = installed["cwd"] / "edited.toml"
    config.write_text("\n".join(paths) + "\n", encoding="utf-8")

    mail = installed["site"] / "inbox_worker" / "demo" / "inbox" / "01-printer-printer-ikke.eml"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(installed["cwd"])}
    result = subprocess.run([installed["venv"] / "bin" / "inbox-worker", "--config", config, "explain", mail],
                            cwd=installed["cwd"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and str(guard) in result.stderr, result.stderr
