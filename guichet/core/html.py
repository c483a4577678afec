"""HTML from the outside world: made safe to display (`sanitize_html`) and readable as text.

Email bodies, portal rich text and the like come from strangers. `sanitize_html` keeps the
formatting a reader needs (paragraphs, lists, tables, emphasis, links, embedded images) and drops
everything that runs code, submits data or phones home: scripts, styles, event handlers, iframes,
forms and remote images (the tracking pixels of newsletters). `html_to_text` renders HTML as plain
text for search, classification and HTML-only emails.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3
from inscriptis import get_text  # no py.typed marker
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center",
        "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
        "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# Tags removed together with their content (their text means nothing to a reader).
REMOVED_WITH_CONTENT = frozenset(
    {"applet", "embed", "iframe", "noembed", "noscript", "object", "script", "style", "template",
     "title", "xml"}
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"dir", "lang", "style", "title"},
    "a": {"href"},
    "img": {"alt", "height", "src", "width"},
    "font": {"color"},
    "ol": {"start", "type"},
    "table": {"border", "cellpadding", "cellspacing", "width"},
    "td": {"align", "colspan", "rowspan", "valign", "width"},
    "th": {"align", "colspan", "rowspan", "scope", "valign", "width"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "time": {"datetime"},
}
# CSS properties kept in `style`: none of them can load a URL.
ALLOWED_STYLE_PROPERTIES = frozenset(
    {
        "background-color", "border", "border-bottom", "border-collapse", "border-left",
        "border-right", "border-top", "color", "font-family", "font-size", "font-style",
        "font-weight", "line-height", "margin", "margin-bottom", "margin-left", "margin-right",
        "margin-top", "padding", "padding-bottom", "padding-left", "padding-right", "padding-top",
        "text-align", "text-decoration", "text-indent", "vertical-align", "white-space",
    }
)  # fmt: skip
LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")
# Images embedded in the message itself; anything fetched from elsewhere is dropped.
# SVG is left out: it is a document that can carry scripts.
IMAGE_SOURCE = re.compile(r"^(cid:|data:image/(png|jpeg|jpg|gif|webp|bmp);)", re.IGNORECASE)
LINK_REL = "noopener noreferrer nofollow"

# Both HTML parsers suffer from deep nesting: html5ever (nh3) slows down quadratically (20 s for
# 50,000 unclosed <div>) and lxml (inscriptis) silently drops everything below depth 256. Past this
# depth of block containers, a document is rendered as plain text by a regex instead.
MAX_NESTING = 180
_CONTAINER_TAG = re.compile(
    r"<(/?)(?:address|article|aside|blockquote|center|details|dialog|div|dl|fieldset|figure|"
    r"footer|form|header|main|nav|ol|section|table|ul)\b",
    re.IGNORECASE,
)
_LINE_BREAK_TAG = re.compile(r"<(?:br|/p|/div|/li|/tr|/h[1-6]|/blockquote|/table)\b[^<>]*>", re.I)
_ANY_TAG = re.compile(r"<[^<>]*>")  # [^<>] keeps the scan linear on a flood of "<"
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"].copy(), display_links=False)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if IMAGE_SOURCE.match(value.strip()) else None
    if tag == "a" and attribute == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(REMOVED_WITH_CONTENT),
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    link_rel=LINK_REL,
    url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
)


def _too_deep(html: str) -> bool:
    depth = 0
    for match in _CONTAINER_TAG.finditer(html):
        if match.group(1):
            depth = max(depth - 1, 0)
        else:
            depth += 1
            if depth > MAX_NESTING:
                return True
    return False


def _strip_tags(html: str) -> str:
    """The crude rendering for documents the parsers cannot take: tags out, breaks kept."""
    return html_lib.unescape(_ANY_TAG.sub("", _LINE_BREAK_TAG.sub("\n", html)))


def sanitize_html(html: str) -> str:
    """HTML safe to display inside Guichet's pages: formatting kept, active content dropped.

    Links get `rel="noopener noreferrer nofollow"`; images are kept only when their source is in
    the message (`cid:` parts, `data:` bitmaps), so opening a message never tells a sender it was
    read. Comments (Outlook's conditional ones included) are removed.
    """
    source = _CONTROL_CHARS.sub("", html)
    if _too_deep(source):
        text = html_lib.escape(_strip_tags(source).strip())
        return f'<div style="white-space: pre-wrap">{text}</div>'
    cleaned = _cleaner.clean(source)
    # An image whose remote source was dropped is an empty box: remove the tag.
    return _IMG_WITHOUT_SRC.sub("", cleaned).strip()


def html_to_text(html: str) -> str:
    """A readable plain-text rendering: paragraphs and line breaks kept, lists as bullets.

    Never raises: when the HTML cannot be laid out, its tags are stripped instead.
    """
    source = _CONTROL_CHARS.sub("", html)
    try:
        text = _strip_tags(source) if _too_deep(source) else get_text(source, _TEXT_CONFIG)
    except Exception:  # inscriptis/lxml on hostile markup; a cruder rendering beats none
        text = _strip_tags(source)
    text = text.replace("\r\n", "\n").replace("\xa0", " ").replace("\u202f", " ")
    text = _TRAILING_SPACES.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
