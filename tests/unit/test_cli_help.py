"""The command line explains itself in Danish: every argument has help, every command an example that parses,
and a bad command line is one Danish line on stderr (exit 2) that names the argument."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator

import pytest

from inbox_worker.argparse_da import danish
from inbox_worker.cli import _config_first, build_parser, main


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the command line with the words that reach it: (), ("tickets",), ("tickets", "list")..."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


ALL = list(commands(build_parser()))
NAMES = [" ".join(path) or "inbox-worker" for path, _ in ALL]


def test_the_walk_finds_every_command_of_interface_md() -> None:
    found = {" ".join(path) for path, _ in ALL}
    assert found >= {"init-db", "registry import", "ingest", "explain", "poll", "run", "outbox flush", "outbox list",
                     "outbox retry", "outbox cancel", "tickets list", "tickets set-coverage", "tickets log-time",
                     "staff add", "summary send", "billing export", "web", "demo", "quarantine list",
                     "quarantine show", "quarantine reprocess", "rules copy", "backup"}


@pytest.mark.parametrize(("path", "parser"), ALL, ids=NAMES)
def test_every_argument_and_every_subcommand_has_help(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), f"{' '.join(path)}: {action.dest} has no help"
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                assert choice.help and choice.help.strip(), f"{' '.join(path)} {choice.dest} has no help"


@pytest.mark.parametrize(("path", "parser"), ALL, ids=NAMES)
def test_every_command_has_a_description_and_one_example_that_parses(path: tuple[str, ...],
                                                                     parser: argparse.ArgumentParser) -> None:
    assert parser.description and parser.description.strip()
    assert parser.epilog and parser.epilog.startswith("Eksempel:\n  ")
    example = parser.epilog.splitlines()[1].strip()
    words = shlex.split(example)
    assert words[: len(path) + 1] == ["inbox-worker", *path], example
    build_parser().parse_args(_config_first(words[1:]))  # a command line main accepts, as main reads it


@pytest.mark.parametrize(("path", "parser"), [(p, c) for p, c in ALL if p], ids=NAMES[1:])
def test_help_repeats_the_description_and_shows_the_example(path: tuple[str, ...], parser: argparse.ArgumentParser,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    shown = capsys.readouterr().out

    assert done.value.code == 0
    assert shown.startswith(f"brug: inbox-worker {' '.join(path)}")
    assert parser.description is not None and parser.description.split("\n")[0] in shown
    assert "Eksempel:\n  inbox-worker " + " ".join(path) in shown
    assert "usage:" not in shown and "show this help" not in shown and "options:" not in shown


@pytest.mark.parametrize(("argv", "says"), [
    (["tickets", "log-time", "1"], "inbox-worker tickets log-time: mangler TID, --by"),
    (["tickets", "log-time", "1", "1:75", "--by", "JH"], "TID: Skriv tiden i hele minutter"),
    (["tickets", "log-time", "1", "90", "--by", "JH", "--date", "31.02.2026"], "--date: Datoen skal skrives som"),
    (["tickets", "log-time", "1", "90", "--by", "JH", "--billable", "--covered"],
     "--covered kan ikke bruges sammen med --billable"),
    (["tickets", "list", "--status", "lukket"], "--status: 'lukket' findes ikke; vælg mellem"),
    (["quarantine", "show", "syv"], "inbox-worker quarantine show: ID: 'syv' er ikke et helt tal"),
    (["tickets", "list", "--colour"], "inbox-worker: ukendt argument: --colour"),
    (["frobnicate"], "inbox-worker: KOMMANDO: 'frobnicate' findes ikke"),
    ([], "inbox-worker: mangler KOMMANDO"),
])
def test_a_bad_command_line_is_one_danish_line_naming_the_problem(argv: list[str], says: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(argv)
    printed = capsys.readouterr()

    assert refused.value.code == 2 and printed.out == ""
    [line] = printed.err.splitlines()
    assert says in line and line.endswith("--help)"), line


@pytest.mark.parametrize(("english", "danish_text"), [
    ("the following arguments are required: FIL", "mangler FIL"),
    ("argument --status: invalid choice: 'x' (choose from 'open', 'closed')",
     "--status: 'x' findes ikke; vælg mellem 'open', 'closed'"),
    ("argument --status: invalid choice: 'x' (choose from open, closed)", "--status: 'x' findes ikke; vælg mellem open, closed"),
    ("argument --port: invalid int value: 'http'", "--port: 'http' er ikke et helt tal"),
    ("argument --by: expected one argument", "--by skal have en værdi"),
    ("argument STI: expected at least one argument", "STI skal have mindst én værdi"),
    ("one of the arguments --a --b is required", "angiv en af --a --b"),
    ("ambiguous option: --s could match --status, --since", "--s er tvetydigt: --status, --since"),
    ("argument TID: Skriv tiden, ikke 'x'", "TID: Skriv tiden, ikke 'x'"),
    ("something argparse may say one day", "something argparse may say one day"),
])
def test_argparse_messages_read_in_danish(english: str, danish_text: str) -> None:
    assert danish(english) == danish_text
