"""The response-time keys of the config: defaults, and one clear line naming the key for a bad value."""

from __future__ import annotations

import pytest

from inbox_worker.config import Settings, settings_from_dict
from inbox_worker.errors import UserError


def test_defaults_warn_thirty_working_minutes_before_and_summaries_tell_response_times() -> None:
    settings = Settings()
    assert (settings.response.warnings, settings.response.warn_before_minutes) == (True, 30)
    assert settings.summary.response_times is True and settings.web.base_url == ""


@pytest.mark.parametrize(("data", "message"), [
    ({"response": {"warn_before_minutes": 0}},
     "config.toml: nøglen 'response.warn_before_minutes' skal være mindst 1 (slå varsler fra med "
     "response.warnings = false)"),
    ({"response": {"warn_before": 30}}, "config.toml: ukendt nøgle 'response.warn_before'"),
    ({"summary": {"response_times": "yes"}},
     "config.toml: nøglen 'summary.response_times' skal være true eller false, ikke 'yes'"),
    ({"web": {"base_url": "support.mico.dk"}},
     "config.toml: nøglen 'web.base_url' skal ligne https://support.mico.dk, ikke 'support.mico.dk'"),
])
def test_a_bad_value_names_its_key(data: dict[str, dict[str, object]], message: str) -> None:
    with pytest.raises(UserError) as raised:
        settings_from_dict(data, "config.toml")
    assert str(raised.value) == message


def test_a_base_url_with_a_path_is_accepted() -> None:
    assert settings_from_dict({"web": {"base_url": "https://mico.dk/support/"}}).web.base_url == "https://mico.dk/support/"
