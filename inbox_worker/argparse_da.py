"""argparse in Danish: help headings, usage and errors, each command with an example, a bad line told in one line.

argparse writes its own words in English (through gettext, with no Danish catalogue in Python). Its
help headings are set here, and its error messages, which come from a short fixed list, are put into
Danish; one this table does not know is shown as argparse wrote it, still on one line.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from inbox_worker.errors import UserError

T = TypeVar("T")

WIDTH = 78  # descriptions are wrapped to this; examples are shown as written
TYPE_NAMES = {"int": "et helt tal", "float": "et tal"}
# argparse's error messages (Python 3.11-3.13) and their Danish; "{arg}" is the option or argument named.
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (?P<names>.+)", "mangler {names}"),
    (r"argument (?P<arg>.+?): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
     "{arg}: {value} findes ikke; vælg mellem {choices}"),
    (r"argument (?P<arg>.+?): invalid (?P<type>\w+) value: (?P<value>.+)", "{arg}: {value} er ikke {type}"),
    (r"argument (?P<arg>.+?): expected one argument", "{arg} skal have en værdi"),
    (r"argument (?P<arg>.+?): expected at least one argument", "{arg} skal have mindst én værdi"),
    (r"argument (?P<arg>.+?): expected at most one argument", "{arg} tager højst én værdi"),
    (r"argument (?P<arg>.+?): expected (?P<count>\d+) arguments?", "{arg} skal have {count} værdier"),
    (r"argument (?P<arg>.+?): not allowed with argument (?P<other>.+)", "{arg} kan ikke bruges sammen med {other}"),
    (r"argument (?P<arg>.+?): ignored explicit argument (?P<value>.+)", "{arg} tager ingen værdi (fik {value})"),
    (r"one of the arguments (?P<names>.+) is required", "angiv en af {names}"),
    (r"unrecognized arguments: (?P<names>.+)", "ukendt argument: {names}"),
    (r"ambiguous option: (?P<arg>\S+) could match (?P<names>.+)", "{arg} er tvetydigt: {names}"),
    (r"argument (?P<arg>.+?): (?P<rest>.+)", "{arg}: {rest}"),
)


def danish(message: str) -> str:
    """One of argparse's error messages in Danish, on one line."""
    message = " ".join(message.split())
    for pattern, text in MESSAGES:
        match = re.fullmatch(pattern, message)
        if match:
            parts = match.groupdict()
            if "type" in parts:
                parts["type"] = TYPE_NAMES.get(parts["type"], parts["type"])
            return text.format(**parts)
    return message


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written (line breaks kept), under a Danish "brug:" line."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "brug: " if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help is Danish and whose errors are one Danish line on stderr (exit 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        # argparse's own headings; it has no parameter for them
        self._positionals.title = "argumenter"
        self._optionals.title = "tilvalg"
        self.add_argument("-h", "--help", action="help", help="vis denne hjælp og stop")

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {danish(message)} (se {self.prog} --help)\n")


Commands = argparse._SubParsersAction  # what add_subparsers returns: the place to add commands


def command(commands: Commands, name: str, summary: str, example: str, *, more: str = "",
            run: Callable[..., int] | None = None) -> Parser:
    """A subcommand whose --help repeats its one-line summary (and `more`) and ends with one example."""
    paragraphs = [summary[0].upper() + summary[1:] + ".", *([more] if more else [])]
    description = "\n\n".join(textwrap.fill(paragraph, WIDTH) for paragraph in paragraphs)
    parser: Parser = commands.add_parser(name, help=summary, description=description,
                                         epilog=f"Eksempel:\n  {example}")
    if run is not None:
        parser.set_defaults(run=run)
    return parser


def group(commands: Commands, name: str, summary: str, example: str) -> Commands:
    """A command that only holds subcommands (`outbox flush`, `outbox list`...)."""
    parent = command(commands, name, summary, example)
    return parent.add_subparsers(dest="sub", required=True, title="kommandoer", metavar="KOMMANDO",
                                 help="se inbox-worker " + name + " KOMMANDO --help")


def typed(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type` from a parser of the product (one that raises UserError): its refusal becomes the
    one-line usage error naming the argument, e.g. "TID: Skriv tiden i hele minutter ..."."""
    def convert(text: str) -> T:
        try:
            return parse(text)
        except UserError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert
