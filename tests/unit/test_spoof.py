"""Forged senders: only the receiving server's own Authentication-Results header is believed."""

from __future__ import annotations

from inbox_worker.mail.decide.spoof import auth_verdict

OURS = "mx.mico.dk"


def verdict(*headers: str, trusted: str = OURS, sender: str = "lone@bageriet-soerensen.dk") -> str | None:
    found = auth_verdict(tuple(headers), trusted, sender)
    return None if found is None else found.rule


def test_dmarc_fail_is_a_forgery() -> None:
    assert verdict("mx.mico.dk; spf=pass smtp.mailfrom=x.ru; dkim=none; dmarc=fail header.from=bageriet-soerensen.dk") \
        == "spoof-dmarc-fail"


def test_spf_fail_without_a_dkim_signature_of_the_from_domain_is_a_forgery() -> None:
    assert verdict("mx.mico.dk; spf=fail smtp.mailfrom=bageriet-soerensen.dk; dkim=pass header.d=evil.example") \
        == "spoof-spf-fail"


def test_spf_fail_with_a_passing_aligned_dkim_signature_is_genuine() -> None:
    # Forwarding breaks SPF all the time; a valid DKIM signature of the From domain proves the sender.
    assert verdict("mx.mico.dk; spf=fail smtp.mailfrom=list.example; dkim=pass header.d=bageriet-soerensen.dk "
                   "header.s=sel1; dmarc=pass") == "auth-dkim-pass"


def test_softfail_and_passes_are_not_acted_on() -> None:
    assert verdict("mx.mico.dk; spf=softfail smtp.mailfrom=bageriet-soerensen.dk; dkim=none") == "auth-ok"
    assert verdict("mx.mico.dk; spf=pass; dkim=pass header.d=bageriet-soerensen.dk; dmarc=pass") == "auth-ok"


def test_a_header_written_by_someone_else_is_ignored_when_our_server_is_configured() -> None:
    forged_claim = "mx.evil.example; spf=pass; dkim=pass; dmarc=pass"
    ours = "mx.mico.dk (Postfix); dmarc=fail (p=reject) header.from=bageriet-soerensen.dk"
    assert verdict(forged_claim, ours) == "spoof-dmarc-fail"
    assert verdict(forged_claim) is None  # our server wrote nothing: nothing to go on


def test_without_a_configured_server_the_topmost_header_is_believed() -> None:
    assert verdict("mx.mico.dk; dmarc=fail", "other.example; dmarc=pass", trusted="") == "spoof-dmarc-fail"
    assert verdict("other.example; dmarc=pass", "mx.mico.dk; dmarc=fail", trusted="") == "auth-ok"


def test_comments_do_not_hide_or_fake_results() -> None:
    assert verdict("mx.mico.dk; spf=pass (sender says dmarc=fail) smtp.mailfrom=bageriet-soerensen.dk") == "auth-ok"


def test_no_header_means_no_verdict() -> None:
    assert verdict() is None
