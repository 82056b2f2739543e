"""The rules and templates shipped in the package: used when `[paths]` names no folder, whatever the working
folder; `rules copy` writes them out for editing (never over an existing file without --force); `--version`."""

from __future__ import annotations

import contextlib
import io
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from inbox_worker.cli import main
from inbox_worker.config import PACKAGED_RULES, PACKAGED_TEMPLATES, Settings, load_settings
from inbox_worker.features.defaults.copy_out import shipped_files
from inbox_worker.mail.rulebook import load_rulebook
from tests.conftest import ROOT


def cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "empty-config.toml"
    config.touch()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--config", str(config), *args])
        except SystemExit as exc:  # argparse's --version and usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_the_defaults_are_the_package_folders_whatever_the_working_folder(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INBOX_WORKER_CONFIG", raising=False)
    paths = Settings().paths
    assert Path(paths.rules) == ROOT / "inbox_worker" / "rules" == PACKAGED_RULES
    assert Path(paths.templates) == ROOT / "inbox_worker" / "templates" == PACKAGED_TEMPLATES
    assert load_settings().paths == paths
    load_rulebook(paths.rules)  # valid, and found from an unrelated folder
    assert not (ROOT / "rules").exists() and not (ROOT / "templates").exists()  # one copy in git


def test_rules_copy_writes_every_shipped_file_and_the_config_lines_that_use_them(tmp_path: Path) -> None:
    code, out, err = cli(tmp_path, "rules", "copy", str(tmp_path / "mico"))

    assert code == 0, err
    for source, name in ((PACKAGED_RULES, "rules"), (PACKAGED_TEMPLATES, "templates")):
        files = shipped_files(source)
        assert files == shipped_files(tmp_path / "mico" / name)
        assert all((source / f).read_bytes() == (tmp_path / "mico" / name / f).read_bytes() for f in files)
    assert (tmp_path / "mico" / "rules" / "README.md").exists()
    assert (tmp_path / "mico" / "templates" / "web" / "static" / "style.css").exists()
    lines = out.splitlines()
    paths = tomllib.loads("\n".join(lines[lines.index("[paths]"):]))["paths"]
    assert paths == {"rules": str(tmp_path / "mico" / "rules"), "templates": str(tmp_path / "mico" / "templates")}
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines[lines.index("[paths]"):]), encoding="utf-8")
    assert load_settings(str(config)).paths.rules == paths["rules"]
    load_rulebook(paths["rules"])


def test_rules_copy_refuses_to_overwrite_and_writes_nothing_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "mico"
    assert cli(tmp_path, "rules", "copy", str(target))[0] == 0
    edited = target / "rules" / "coverage.toml"
    edited.write_text("# our own coverage rules\n", encoding="utf-8")
    (target / "templates" / "ack" / "ack.da.txt.j2").unlink()
    (target / "rules" / "notes.txt").write_text("ours", encoding="utf-8")

    code, out, err = cli(tmp_path, "rules", "copy", str(target))

    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "findes allerede" in err and "--force" in err
    assert edited.read_text(encoding="utf-8") == "# our own coverage rules\n"
    assert not (target / "templates" / "ack" / "ack.da.txt.j2").exists()  # all or nothing

    code, out, err = cli(tmp_path, "rules", "copy", "--force", str(target))

    assert code == 0, err
    assert edited.read_bytes() == (PACKAGED_RULES / "coverage.toml").read_bytes()
    assert (target / "templates" / "ack" / "ack.da.txt.j2").exists()
    assert (target / "rules" / "notes.txt").read_text(encoding="utf-8") == "ours"  # not ours to remove
    assert "overskrevet" in out


@pytest.mark.parametrize("where", ["a-file", "a-file/below"])
def test_rules_copy_into_something_not_a_folder_is_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")

    code, out, err = cli(tmp_path, "rules", "copy", str(tmp_path / where))

    assert code == 2 and out == ""
    assert err.startswith("inbox-worker: ") and len(err.strip().splitlines()) == 1 and "a-file" in err


def test_version_is_the_installed_one(tmp_path: Path) -> None:
    code, out, _ = cli(tmp_path, "--version")

    assert code == 0 and out.strip() == f"inbox-worker {version('inbox-worker')}"
