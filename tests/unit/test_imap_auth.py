"""Where the XOAUTH2 access token comes from (Microsoft 365 / Google): environment or a command."""

from __future__ import annotations

import sys

import pytest

from inbox_worker.config import MailboxSettings
from inbox_worker.errors import UserError
from inbox_worker.mail.sources.imap import _oauth_token


def test_the_token_comes_from_the_named_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("M365_TOKEN", "ey.token.value")
    assert _oauth_token(MailboxSettings(auth="xoauth2", oauth_token_env="M365_TOKEN")) == "ey.token.value"


def test_the_token_comes_from_the_first_line_a_command_prints() -> None:
    command = f"{sys.executable} -c \"print('ey.from.command'); print('second line')\""
    assert _oauth_token(MailboxSettings(auth="xoauth2", oauth_token_command=command)) == "ey.from.command"


@pytest.mark.parametrize("settings", [
    MailboxSettings(auth="xoauth2"),
    MailboxSettings(auth="xoauth2", oauth_token_env="SURELY_UNSET_TOKEN_VAR"),
    MailboxSettings(auth="xoauth2", oauth_token_command=f"{sys.executable} -c \"import sys; sys.exit(3)\""),
])
def test_a_missing_token_is_one_clear_error(settings: MailboxSettings) -> None:
    with pytest.raises(UserError, match="oauth"):
        _oauth_token(settings)
