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
from inscriptis import get_text  # type: ignore[import-untyped]  # no py.typed marker
from inscriptis.css_profiles import CSS_PROFILES  # type: ignore[import-untyped]
from inscriptis.model.config import ParserConfig  # type: ignore[import-untyped]

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
        "background-color", "border", "border-collapse", "color", "font-family", "font-size",
        "font-style", "font-weight", "line-height", "margin", "margin-bottom", "margin-left",
        "margin-right", "margin-top", "padding", "text-align", "text-decoration", "text-indent",
        "vertical-align", "white-space",
    }
)  # fmt: skip
LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")
# Images embedded in the message itself; anything fetched from elsewhere is dropped.
# SVG is left out: it is a document that can carry scripts.
IMAGE_SOURCE = re.compile(r"^(cid:|data:image/(png|jpeg|jpg|gif|webp|bmp);)", re.IGNORECASE)
LINK_REL = "noopener noreferrer nofollow"

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


def sanitize_html(html: str) -> str:
    """HTML safe to display inside Guichet's pages: formatting kept, active content dropped.

    Links get `rel="noopener noreferrer nofollow"`; images are kept only when their source is in
    the message (`cid:` parts, `data:` bitmaps), so opening a message never tells a sender it was
    read. Comments (Outlook's conditional ones included) are removed.
    """
    cleaned = _cleaner.clean(_CONTROL_CHARS.sub("", html))
    # An image whose remote source was dropped is an empty box: remove the tag.
    return _IMG_WITHOUT_SRC.sub("", cleaned).strip()


def html_to_text(html: str) -> str:
    """A readable plain-text rendering: paragraphs and line breaks kept, lists as bullets.

    Never raises: when the HTML cannot be laid out, its tags are stripped instead.
    """
    source = _CONTROL_CHARS.sub("", html)
    try:
        text = get_text(source, _TEXT_CONFIG)
    except Exception:  # inscriptis/lxml on hostile markup; a cruder rendering beats none
        text = html_lib.unescape(
            nh3.clean(source, tags=set(), clean_content_tags=set(REMOVED_WITH_CONTENT))
        )
    text = text.replace("\r\n", "\n").replace("\xa0", " ").replace("\u202f", " ")
    text = _TRAILING_SPACES.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
