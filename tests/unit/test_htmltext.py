"""HTML bodies to readable text."""

from inbox_worker.mail.parse.htmltext import html_to_text


def test_blocks_become_lines_and_entities_are_decoded() -> None:
    html = "<html><head><style>p{color:red}</style></head><body><p>Hej&nbsp;MICO</p><p>Printeren p&aring; 1.&nbsp;sal<br>er d&oslash;d</p></body></html>"
    assert html_to_text(html) == "Hej MICO\n\nPrinteren på 1. sal\ner død"


def test_scripts_vanish_and_lists_get_bullets() -> None:
    assert html_to_text("<script>alert(1)</script><ul><li>Et</li><li>To</li></ul>") == "- Et\n- To"


def test_blockquotes_become_quoted_lines() -> None:
    text = html_to_text("<p>Ny tekst</p><blockquote><p>Gammel tekst</p></blockquote>")
    assert text.splitlines()[0] == "Ny tekst"
    assert "> Gammel tekst" in text
