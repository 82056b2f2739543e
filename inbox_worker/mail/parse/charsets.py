"""Charset names as mail declares them -> the codec mail clients really use, and bytes -> text that never fails.

Declared names come with junk (`"cp1252\\0"`, quotes, spaces, `utf-8*da`), with labels Python does
not know (`iso-8859-8-i`, `unicode-1-1-utf-7`, `x-unknown`), and with labels that mail clients read
as a superset (GB2312 sent as GBK bytes, ks_c_5601-1987 as cp949, ISO-8859-1 as windows-1252, as
WHATWG's encoding standard has it). Undeclared 8-bit text (raw header bytes, a body without a
charset) is read as UTF-8 if it is, else in the mail's own declared charset, else in a non-Latin
charset a detector is sure of, else as windows-1252: the Danish case (æøå from old Outlook).
"""

from __future__ import annotations

import codecs
import functools
import re

# label (cleaned, lower case) -> codec. None: a label that names no charset (detect instead).
_ALIASES: dict[str, str | None] = {
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "x-euc-cn", "csgb2312", "gb_2312-80",
                     "chinese", "iso-ir-58", "gb2312-80", "hz-gb-2312"), "gb18030"),
    **dict.fromkeys(("ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601", "euc-kr", "korean",
                     "x-windows-949", "windows-949", "5601", "cseuckr", "csksc56011987", "iso-ir-149"), "cp949"),
    **dict.fromkeys(("iso-8859-8-i", "iso-8859-8-e", "csiso88598i", "csiso88598e", "logical", "visual"), "iso-8859-8"),
    **dict.fromkeys(("iso-8859-6-i", "iso-8859-6-e", "csiso88596i", "csiso88596e"), "iso-8859-6"),
    **dict.fromkeys(("unicode-1-1-utf-7", "x-unicode-1-1-utf-7", "csunicode11utf7", "utf7", "x-utf-7"), "utf-7"),
    **dict.fromkeys(("shift_jis", "shift-jis", "x-sjis", "sjis", "ms_kanji", "windows-31j", "csshiftjis",
                     "x-ms-cp932"), "cp932"),
    **dict.fromkeys(("big5", "x-x-big5", "cn-big5", "csbig5", "big-5", "big5-hkscs"), "big5hkscs"),
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "csisolatin1", "ibm819",
                     "cp819", "us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "ansi", "x-ansi",
                     "iso_8859-1:1987", "windows-1252", "x-cp1252", "win-1252"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "latin5", "iso-ir-148", "l5"), "cp1254"),
    **dict.fromkeys(("iso-8859-11", "tis-620", "windows-874", "dos-874", "x-windows-874"), "cp874"),
    **dict.fromkeys(("macintosh", "x-mac-roman", "mac", "csmacintosh"), "mac_roman"),
    "x-mac-cyrillic": "mac_cyrillic", "x-mac-ce": "mac_latin2", "x-mac-greek": "mac_greek",
    "x-mac-turkish": "mac_turkish", "x-mac-icelandic": "mac_iceland",
    **dict.fromkeys(("utf8", "x-utf8", "x-utf-8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8"),
                    "utf-8"),
    **dict.fromkeys(("ucs-2", "unicode", "iso-10646-ucs-2", "csunicode"), "utf-16"),
    "euc-jp": "euc_jis_2004", "x-euc-jp": "euc_jis_2004", "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    **dict.fromkeys(("", "x-unknown", "unknown", "unknown-8bit", "x-unknown-8bit", "default", "none", "charset",
                     "x-user-defined", "binary", "8bit", "7bit", "text", "plain"), None),
}
# Codecs Python calls text encodings that no mail means: escapes and transforms, or ones that always fail.
_NOT_A_MAIL_CHARSET = {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem",
                       "palmos", "utf_16_be", "utf_16_le", "utf_32_be", "utf_32_le", "utf_32", "utf_8_sig",
                       "charmap", "unicode_internal"}
_JUNK = re.compile(r"[\x00-\x20\"';]+")
_NUMBERED = re.compile(r"^(?:cp|ibm|windows|win|x-cp|ms)[-_ ]?(\d{3,5})$")
_ISO = re.compile(r"^iso[-_ ]?(8859|2022)[-_ ]?([0-9a-z]{1,3})(?:[:_-].*)?$")
# Scripts where a detector is right even on short text; its guesses among Latin charsets are not (it
# takes Danish for cp1250: "pĺ"), and those are read as windows-1252.
_DETECTABLE = re.compile(r"^(cp1251|koi8|iso88595|maccyrillic|cp866|cp1253|iso88597|cp1255|iso88598|cp1256"
                         r"|iso88596|cp874|tis|gb|big5|cp950|cp949|euc|shiftjis|cp932|iso2022)")
_MIN_DETECTABLE = 12  # non-ASCII bytes before a detector's guess of a non-Latin script is believed


@functools.lru_cache(maxsize=512)
def codec_for(label: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when it names no known charset."""
    if not label:
        return None
    name = _JUNK.sub("", label).lower().split("*", 1)[0][:40]
    name = name.removeprefix("charset=")
    if name in _ALIASES:
        return _ALIASES[name]
    numbered = _NUMBERED.match(name)
    if numbered:
        name = f"cp{numbered.group(1)}"
    iso = _ISO.match(name)
    if iso:
        name = f"iso-{iso.group(1)}-{iso.group(2)}"
        if name in _ALIASES:
            return _ALIASES[name]
    for candidate in (name, name.removeprefix("x-")):
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        if getattr(info, "_is_text_encoding", True) and info.name.replace("-", "_") not in _NOT_A_MAIL_CHARSET:
            return _ALIASES.get(info.name.replace("_", "-"), info.name)
    return None


def _detected(data: bytes) -> str | None:
    """A detector's guess, only when it names a non-Latin script and there is enough text to go on."""
    if sum(byte > 0x7F for byte in data) < _MIN_DETECTABLE:
        return None
    from charset_normalizer import from_bytes  # imported on first use: most mail never needs it

    best = from_bytes(data[:65536]).best()
    if best is None:
        return None
    codec = codec_for(best.encoding)
    return codec if codec and _DETECTABLE.match(re.sub(r"[-_]", "", codec)) else None


def _cp1252(data: bytes) -> str:
    """windows-1252, with its five undefined bytes read as ISO-8859-1 (as browsers and mail clients do)."""
    return "".join(chunk.decode("cp1252") if index % 2 == 0 else chunk.decode("latin-1")
                   for index, chunk in enumerate(re.split(rb"([\x81\x8d\x8f\x90\x9d]+)", data)))


def guess_codec(data: bytes, hint: str | None = None) -> str:
    """The codec undeclared 8-bit text is read in: UTF-8 if it is, the hint, a sure detector guess, cp1252."""
    if data.isascii():
        return "ascii"
    for codec in ("utf-8", codec_for(hint)):
        if codec and codec not in ("cp1252", "ascii"):
            try:
                data.decode(codec)
                return codec
            except (UnicodeError, LookupError):
                continue
    if _mostly_utf8(data):
        return LENIENT_UTF8
    return "cp1252" if _reads_as_latin(data) else _detected(data) or "cp1252"


# UTF-8 with a stray invalid byte or two (a cut or a mis-edit): read as UTF-8, the bad bytes replaced.
LENIENT_UTF8 = "utf-8 (lenient)"
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(data: bytes) -> bool:
    sequences = _UTF8_SEQUENCE.findall(data)
    stray = sum(byte > 0x7F for byte in data) - sum(len(sequence) for sequence in sequences)
    return len(sequences) >= 2 and stray * 4 <= len(sequences)


_WORD_BYTE = re.compile(rb"(?<=[A-Za-z])[\xc0-\xff]|[\xc0-\xff](?=[A-Za-z])")


def _reads_as_latin(data: bytes) -> bool:
    """Most 8-bit letters sit inside ASCII words ("p\xe5", "S\xf8ren"): Western text, not a non-Latin script.

    Cyrillic, Greek or CJK bytes come in runs of their own, with no ASCII letters around them.
    """
    high = sum(byte > 0x7F for byte in data)
    return len(_WORD_BYTE.findall(data)) * 2 >= high


def decode_text(data: bytes, label: str | None = None, hint: str | None = None) -> tuple[str, bool]:
    """Bytes as text in the declared charset, else guessed; never raises. And whether the label was not usable."""
    codec = codec_for(label)
    if codec is not None:
        try:
            return _strict(data, codec), False
        except (UnicodeError, LookupError, ValueError):
            pass
        if codec not in ("utf-8", "utf-7", "utf-16"):  # a multibyte charset with a character it lacks: keep it
            try:
                return data.decode(codec, "replace"), True
            except (UnicodeError, LookupError, ValueError):
                pass
    declared = bool(label and _JUNK.sub("", label))
    try:
        return _strict(data, guess_codec(data, hint)), declared
    except (UnicodeError, LookupError, ValueError):
        return _cp1252(data), declared


def _strict(data: bytes, codec: str) -> str:
    if codec == LENIENT_UTF8:
        return data.decode("utf-8", "replace")
    if codec == "cp1252":
        return _cp1252(data)
    text = data.decode(codec)
    text.encode("utf-8")  # some codecs produce lone surrogates: not text
    return text
