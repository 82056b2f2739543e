"""Any bytes give exactly one decision: parse + decide (explain's path without a database) never raises.

Hypothesis builds mails from the shapes that broke parsers before (50,000 "(" in From, NUL in the
charset, invalid encoded words, huge headers, very long lines, deep multipart nesting, damaged
header blocks) and mutates real fixtures byte by byte. No timing assertions: the work per mail is
bounded by the parser's own limits, and the run stays at a few seconds through max_examples.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox_worker.config import settings_from_dict
from inbox_worker.domain.enums import Outcome
from inbox_worker.mail.explain import decision_for
from inbox_worker.mail.incoming import IncomingMail, parse_safely
from inbox_worker.mail.parse.parser import ParseError
from inbox_worker.mail.pipeline import PipelineParams
from inbox_worker.mail.rulebook import load_rulebook
from inbox_worker.outbound.render import Renderer
from tests.conftest import MAIL

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SETTINGS = settings_from_dict({}, "test")
RULES, PARAMS, RENDERER = load_rulebook(SETTINGS.paths.rules), PipelineParams.from_settings(SETTINGS), Renderer(SETTINGS)
FIXTURES = sorted(p.read_bytes() for p in MAIL.rglob("*.eml") if p.stat().st_size < 60_000)
# ParseErrors that are decisions about the mail; any other means something inside the parser crashed.
DELIBERATE = ("the mail is empty", "MIME-strukturen er indlejret", "MIME-strukturen er ødelagt")


def test_a_multipart_part_cut_off_before_its_boundary_is_read_as_text() -> None:
    """Found by the fuzzer: a mail cut off inside a part's Content-Type, its boundary parameter without a value.
    mail-parser failed inside on it; the part is now read as the text it holds."""
    raw = (b"From: Lone <lone@bageriet-soerensen.dk>\r\nTo: support@mico.dk\r\nSubject: Dybt\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n--b0\r\nContent-Type: multipart/mixed; boundary')
    parsed = parse_safely(raw)
    assert not isinstance(parsed, ParseError), parsed
    assert "MultipartWithoutBoundary" in parsed.defects


HOSTILE_VALUES = st.sampled_from([
    b"(" * 50_000, b"Lone <lone@bageriet-soerensen.dk> " + b"(" * 5_000, b")" * 1000 + b"<a@b.dk>",
    b'"' * 999 + b"<x@y.dk>", b"\\(" * 3000, b"=?utf-8?B?!!!?= =?x?Q?=ZZ?= =?utf-8?Q?unterminated",
    b"=?gb2312?B?" + "請幫忙".encode("gbk").hex().encode() + b"?=", b"=?unicode-1-1-utf-7?Q?+AOY-?=",
    b"S\xf8ren \xe6\xf8\xe5 <s@x.dk>", b"\xff\xfe\x00\x00", b"x" * 200_000, b"a@b.dk, " * 3000, b"<>", b"",
    b"undisclosed-recipients:;", b"=?" * 5000,
])
CHARSETS = st.sampled_from([b"cp1252\x00", b'"utf-8"', b"x-unknown", b"unicode_escape", b"rot13", b"\x00\x00",
                            b"iso-8859-8-i", b"gb2312", b"utf-7", b"utf-16", b"'' ;;", b"a" * 300])
NAMES = st.sampled_from([b"From", b"To", b"Cc", b"Reply-To", b"Sender", b"Return-Path", b"Subject",
                         b"Message-ID", b"In-Reply-To", b"References", b"Date", b"Content-Type", b"X-Loop",
                         b"Content-Transfer-Encoding", b"Authentication-Results", b"Auto-Submitted"])
ENDINGS = st.sampled_from([b"\r\n", b"\n", b"\r"])


def _nested(depth: int, charset: bytes, encoding: bytes) -> bytes:
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth))
    leaf = b"Content-Type: text/plain; charset=" + charset + b"\r\nContent-Transfer-Encoding: " + encoding
    return head + leaf + b"\r\n\r\nHej =C3=A6 \xe6\xf8\xe5 " + b"y" * 5000 + b"\r\n" + b"".join(
        b"--b%d--\r\n" % i for i in reversed(range(depth)))


@st.composite
def built_mails(draw: st.DrawFn) -> bytes:
    ending = draw(ENDINGS)
    lines = [b"From: Lone <lone@bageriet-soerensen.dk>", b"Subject: Printeren"]
    for _ in range(draw(st.integers(0, 6))):
        lines.append(draw(NAMES) + draw(st.sampled_from([b": ", b" : ", b":", b""])) + draw(HOSTILE_VALUES))
    lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b"", b"garbage line", b"From x",
                                                                          b" continued", b"\x00"])))
    body = _nested(draw(st.integers(0, 130)), draw(CHARSETS),
                   draw(st.sampled_from([b"8bit", b"base64", b"quoted-printable", b"x-uuencode", b"\x00"])))
    prefix = draw(st.sampled_from([b"", b"\r\n", b"From lone@x Thu Nov 26 10:00:00 2026\n", b"\xef\xbb\xbf"]))
    return prefix + ending.join(lines) + draw(st.sampled_from([ending, ending * 2, b""])) + body.replace(b"\r\n", ending)


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(FIXTURES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.sampled_from([b"(", b"\x00", b"=?", b"\r", b"\n\n", b"--", b'"', b"\xff"])) * \
                draw(st.integers(1, 3000))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        else:
            del data[at:]
    return bytes(data)


def _one_decision(raw: bytes) -> None:
    parsed = parse_safely(raw)
    if isinstance(parsed, ParseError):
        assert str(parsed).startswith(DELIBERATE), str(parsed)
    decision = decision_for(IncomingMail(raw, "fuzz"), RULES, PARAMS, RENDERER, NOW)
    assert decision.outcome in set(Outcome)
    assert decision.rule != "unexpected-error", decision.reason
    decision.as_json()


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_give_one_decision(raw: bytes) -> None:
    _one_decision(raw)


@FUZZ
@given(built_mails())
def test_mails_built_from_hostile_shapes_give_one_decision(raw: bytes) -> None:
    _one_decision(raw)


@FUZZ
@given(mutated_fixtures())
def test_mutated_real_fixtures_give_one_decision(raw: bytes) -> None:
    _one_decision(raw)
