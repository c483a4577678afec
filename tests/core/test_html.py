"""sanitize_html keeps formatting and drops what runs, submits or phones home; html_to_text reads."""

from __future__ import annotations

import pytest

from guichet.core.html import MAX_NESTING, html_to_text, sanitize_html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Formatting survives.
        (
            "<p>Bonjour <b>Madame</b>,<br><em>merci</em></p><ul><li>un</li></ul>",
            "<p>Bonjour <b>Madame</b>,<br><em>merci</em></p><ul><li>un</li></ul>",
        ),
        (
            '<table border="1"><tr><td colspan="2">Tarif</td></tr></table>',
            '<table border="1"><tbody><tr><td colspan="2">Tarif</td></tr></tbody></table>',
        ),
        # Scripts go, with their content.
        ("<p>a</p><script>alert(1)</script>", "<p>a</p>"),
        ("<p>a</p><noscript>activez JavaScript</noscript>", "<p>a</p>"),
        # Event handlers go, the element stays.
        ('<p onclick="steal()" onmouseover="x()">a</p>', "<p>a</p>"),
        ('<body onload="x()"><p>a</p></body>', "<p>a</p>"),
        # Styles: the <style> element goes, harmless inline properties stay, the rest goes.
        ("<style>p { color: red }</style><p>a</p>", "<p>a</p>"),
        (
            '<p style="color: red; position: fixed; background: url(https://t.example/x)">a</p>',
            '<p style="color:red">a</p>',
        ),
        # Remote images (tracking pixels) go entirely; embedded ones stay.
        ('<p>a<img src="https://t.example/p.gif" width="1" height="1"></p>', "<p>a</p>"),
        ('<p>a<img src="//t.example/p.gif"></p>', "<p>a</p>"),
        (
            '<img src="cid:photo@example.fr" alt="photo">',
            '<img src="cid:photo@example.fr" alt="photo">',
        ),
        (
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
        ),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', ""),
        # Links get rel, lose dangerous schemes and targets.
        (
            '<a href="https://www.example.fr/tarifs" target="_blank">tarifs</a>',
            '<a href="https://www.example.fr/tarifs" rel="noopener noreferrer nofollow">tarifs</a>',
        ),
        (
            '<a href="mailto:mairie@example.fr">écrire</a>',
            '<a href="mailto:mairie@example.fr" rel="noopener noreferrer nofollow">écrire</a>',
        ),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
        (
            '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
            '<a rel="noopener noreferrer nofollow">x</a>',
        ),
        # Frames, objects and forms go.
        ('<iframe src="https://evil.example">cadre</iframe><p>a</p>', "<p>a</p>"),
        ('<object data="x.swf">objet</object><embed src="x.swf"><p>a</p>', "<p>a</p>"),
        ('<form action="https://evil.example"><input name="pin"><p>a</p></form>', "<p>a</p>"),
        # Comments, Outlook's conditional ones included.
        ("<!--[if mso]><p>mso</p><![endif]--><p>a</p>", "<p>a</p>"),
        ("\x00<p>a\x07</p>", "<p>a</p>"),
    ],
)
def test_sanitize_html(html, expected):
    assert sanitize_html(html) == expected


def test_sanitize_html_on_a_hostile_nesting_degrades_to_escaped_text():
    html = "<div>" * (MAX_NESTING + 1) + "profond &amp; <b>gras</b><script>x</script>"

    assert sanitize_html(html) == ('<div style="white-space: pre-wrap">profond &amp; grasx</div>')


def test_sanitize_html_keeps_a_nesting_within_the_limit():
    html = "<div>" * MAX_NESTING + "profond" + "</div>" * MAX_NESTING

    assert sanitize_html(html) == html


def test_html_to_text_reads_a_whole_document():
    html = (
        "<html><head><title>Titre</title><style>p { color: red }</style></head><body>"
        "<p>Bonjour&nbsp;Madame,</p><p>Ligne 1<br>Ligne 2</p>"
        "<ul><li>un</li><li>deux</li></ul>"
        '<p>Voir les <a href="https://www.example.fr">tarifs</a> &amp; horaires.</p>'
        "<script>document.write('x')</script></body></html>"
    )

    assert html_to_text(html) == (
        "Bonjour Madame,\n\nLigne 1\nLigne 2\n\n  * un\n  * deux\n\nVoir les tarifs & horaires."
    )


def test_html_to_text_collapses_blank_lines_and_trailing_spaces():
    html = "<div>Un   </div><div><br></div><div><br></div><div><br></div><div>Deux</div>"

    assert html_to_text(html) == "Un\n\nDeux"


def test_html_to_text_on_a_fragment_and_on_nothing():
    assert html_to_text("Bonjour <b>Marie</b> &eacute;t&eacute;") == "Bonjour Marie été"
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""


def test_html_to_text_beyond_the_nesting_limit_keeps_all_the_text():
    html = "<div>" * 300 + "début<br>" + "<p>ligne</p>" * 500 + "fin &eacute;"

    text = html_to_text(html)

    assert text.startswith("début\nligne\nligne\n")
    assert text.count("ligne") == 500
    assert text.endswith("fin é")
