"""Reading what sources deliver: RSS/Atom feeds, web pages, JSON endpoints and spreadsheets.

Everything returns RawItem objects and raises FeedError with a Chinese message the source page shows.
Hostile or broken input is expected: feeds are parsed with defusedxml (no DTDs, entities or external
references, so no billion-laughs or XXE), bytes in unknown encodings are decoded with replacement
characters rather than failing, and items without a title or link are kept when they carry text.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only for the ParseError type; parsing goes through defusedxml
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
import lxml.etree
import lxml.html
from defusedxml import DefusedXmlException

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Titles derived from the text of an item that has none.
DERIVED_TITLE_CHARS = 60


class FeedError(ValueError):
    """Input that cannot be read; the message is Chinese and shown to administrators."""


@dataclass
class RawItem:
    title: str = ""
    body: str = ""
    url: str = ""
    published: datetime | None = None  # aware
    external_id: str = ""
    author_kind: str = ""  # a kind of publisher (e.g. "official"), never an author's identity


# ---- decoding --------------------------------------------------------------------------------------

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Chinese sites declare gb2312 and send GBK, or declare GBK and send GB18030: decode with the superset.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
              "cp936": "gb18030", "big5": "big5hkscs"}
# Declarations that accept any byte and are often wrong (server defaults): used only when detection fails.
_PERMISSIVE = {"latin_1", "iso8859-1", "ascii", "cp1252"}


def _codec(name: str) -> str | None:
    name = name.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _declared(data: bytes, content_type: str) -> list[str]:
    found = []
    header = _HEADER_CHARSET.search(content_type or "")
    if header:
        found.append(header.group(1))
    head = data[:4096]
    for pattern in (_XML_DECLARATION, _META_CHARSET):
        match = pattern.search(head)
        if match:
            found.append(match.group(1).decode("ascii", "replace"))
    codecs_found = [c for c in map(_codec, found) if c]
    return list(dict.fromkeys(codecs_found))


def _strict(data: bytes, name: str) -> str | None:
    """Decoded text, or None when the bytes are not in this encoding. A multi-byte character cut at
    the end (a size-limited download) and a rare stray byte (< 0.1 %) are tolerated."""
    try:
        return codecs.getincrementaldecoder(name)().decode(data, final=False)
    except UnicodeDecodeError:
        text = data.decode(name, errors="replace")
        return text if text.count("\ufffd") <= len(text) / 1000 else None
    except LookupError:
        return None


def decode(data: bytes, content_type: str = "") -> str:
    """Bytes to text: BOM; UTF-8 when the bytes are valid UTF-8 (declarations are often stale after a
    site moved to UTF-8, and GBK text is practically never valid UTF-8); the HTTP charset, XML
    declaration or <meta charset>; charset-normalizer's guess; a latin-1-like declaration last (it
    accepts any byte and is usually a server default). Never raises: bad bytes become U+FFFD.
    """
    if not data:
        return ""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace")
    declared = _declared(data, content_type)
    for name in ["utf-8", *(c for c in declared if c not in _PERMISSIVE)]:
        text = _strict(data, name)
        if text is not None:
            return text
    guess = _detect(data)
    if guess is None:
        guess = next(iter(declared), "gb18030")
    return data.decode(guess, errors="replace")


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported late: it is only needed for undeclared bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        return None
    return _codec(best.encoding)


# ---- dates -----------------------------------------------------------------------------------------

_CN_DATE = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
                      r"(?:\s*T?\s*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?")


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def parse_date(value: object) -> datetime | None:
    """RFC 822, ISO 8601, "2024年5月1日 10:20", "2024/05/01", epoch seconds or milliseconds, or a
    datetime; naive times are Beijing time. None when it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=SHANGHAI)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if text.isdigit() and len(text) in (10, 13):
        return parse_date(int(text))
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        # RFC 822 "-0000" (UTC, local zone unknown) is the only way to get a naive result here.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    match = _CN_DATE.search(text)
    if match:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
        except ValueError:
            return None
    return None


# ---- HTML to text ----------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
                         "blockquote", "pre", "table", "ul", "ol", "dd", "dt", "header", "footer", "hr"})
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")


def _element_text(element: lxml.html.HtmlElement) -> str:
    """Text with a line break at each block element, whitespace collapsed."""
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if node.text and tag:
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCK_TAGS:
            parts.append("\n")
        if node.tail:
            parts.append(node.tail)

    walk(element)
    text = _SPACES.sub(" ", "".join(parts))
    return _BLANK_LINES.sub("\n", text).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment (feed descriptions, JSON bodies); plain text passes through."""
    if not markup or "<" not in markup:
        return _BLANK_LINES.sub("\n", _SPACES.sub(" ", html.unescape(markup or ""))).strip()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return html.unescape(markup).strip()
    for bad in root.xpath("//script|//style|//noscript|//template|//iframe"):
        bad.drop_tree()
    return _element_text(root)


# ---- feeds -----------------------------------------------------------------------------------------

_XML_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _children(element: ET.Element, *names: str) -> Iterator[ET.Element]:
    for child in element:
        if _local(child.tag) in names:
            yield child


def _first_text(element: ET.Element, *names: str) -> str:
    """The text of the first child among `names` (in that order of preference) that has some."""
    for name in names:
        for child in _children(element, name):
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return ""


def _atom_link(entry: ET.Element) -> str:
    fallback = ""
    for link in _children(entry, "link"):
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if link.get("rel", "alternate") == "alternate":
            return href
        fallback = fallback or href
    return fallback


def _atom_content(entry: ET.Element) -> str:
    for name in ("content", "summary"):
        for child in _children(entry, name):
            kind = (child.get("type") or "text").lower()
            if kind == "xhtml":
                # Inline XHTML: serialize the children back to markup and read it as HTML.
                markup = "".join(ET.tostring(c, encoding="unicode") for c in child)
                text = html_to_text(re.sub(r"<(/?)[\w.-]+:", r"<\1", markup))
            elif "html" in kind:
                text = html_to_text(child.text or "")
            else:
                text = _BLANK_LINES.sub("\n", _SPACES.sub(" ", child.text or "")).strip()
            if text:
                return text
    return ""


def _derived_title(title: str, body: str) -> str:
    if title:
        return title
    first_line = body.split("\n", 1)[0]
    return first_line[:DERIVED_TITLE_CHARS]


def _item(title: str, body: str, url: str, published: datetime | None, external_id: str) -> RawItem | None:
    title = _SPACES.sub(" ", html.unescape(title)).strip()
    if not title and not body:
        return None
    return RawItem(title=_derived_title(title, body), body=body, url=url.strip(), published=published,
                   external_id=(external_id or url).strip()[:300])


def _rss_item(element: ET.Element, base: str) -> RawItem | None:
    # content:encoded is the full text; description is often a summary (or the same text).
    body = html_to_text(_first_text(element, "encoded") or _first_text(element, "description"))
    published = parse_date(_first_text(element, "pubdate", "date", "published", "updated"))
    about = element.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", "")
    guid = _first_text(element, "guid")
    url = _first_text(element, "link")
    if not url:
        permalink = next((g.get("isPermaLink", "true") for g in _children(element, "guid")), "false")
        url = guid if permalink.lower() == "true" and guid.startswith(("http://", "https://")) else ""
    return _item(html_to_text(_first_text(element, "title")), body, _absolute(url, base), published, guid or about)


def _atom_entry(element: ET.Element, base: str) -> RawItem | None:
    published = parse_date(_first_text(element, "published", "updated", "issued", "modified"))
    return _item(html_to_text(_first_text(element, "title")), _atom_content(element),
                 _absolute(_atom_link(element), base), published, _first_text(element, "id"))


def _absolute(url: str, base: str) -> str:
    """Relative item links ("/2024/05/01/a.html") resolved against the feed's own site link."""
    url = url.strip()
    if not url or url.startswith(("http://", "https://")) or not base.startswith(("http://", "https://")):
        return url
    return urljoin(base, url)


def _parse_xml(data: bytes, content_type: str) -> ET.Element:
    # Decoded here rather than by expat, which knows no GBK/GB18030 (common on Chinese sites).
    text = _XML_DECLARATION_TEXT.sub("", decode(data, content_type), count=1)
    try:
        # A bare DOCTYPE (RSS 0.91 feeds still carry Netscape's) is harmless: expat never fetches
        # it. Entity declarations are what billion-laughs and XXE need, and those are refused.
        return SafeET.fromstring(text.encode("utf-8"), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise FeedError("订阅源包含实体声明，出于安全原因拒绝解析") from error
    except ET.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        reason = str(error).split(":", 1)[0]
        raise FeedError(f"订阅源不是有效的 XML：第 {line} 行第 {column + 1} 列有误（{reason}）") from error


def parse_feed(data: bytes, *, content_type: str = "") -> list[RawItem]:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in document order."""
    if not data or not data.strip():
        raise FeedError("订阅源内容为空")
    root = _parse_xml(data, content_type)
    kind = _local(root.tag)
    if kind == "rss":
        channels = list(_children(root, "channel"))
        elements: Iterable[ET.Element] = (item for channel in channels for item in _children(channel, "item"))
        base, reader = (_first_text(channels[0], "link") if channels else ""), _rss_item
    elif kind == "rdf":
        channel = next(_children(root, "channel"), None)
        base = _first_text(channel, "link") if channel is not None else ""
        elements, reader = _children(root, "item"), _rss_item
    elif kind == "feed":
        base, elements, reader = _atom_link(root), _children(root, "entry"), _atom_entry
    else:
        raise FeedError(f"不是 RSS 或 Atom 订阅源（根元素为 <{kind}>）")
    return [item for item in (reader(element, base) for element in elements) if item is not None]


# ---- web pages -------------------------------------------------------------------------------------

_PAGE_NOISE = ("script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "aside", "form",
               "button", "select", "svg", "canvas", "object", "embed")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUBLISHED_META = ("article:published_time", "og:article:published_time", "publishdate", "pubdate", "publish_date",
                   "publishtime", "published_time", "datepublished", "dc.date", "dc.date.issued", "date")
_PAGE_DATE = re.compile(r"(?:发布时间|发布日期|时间|日期)\s*[:：]?\s*(\d{4}\s*[年/.-]\s*\d{1,2}\s*[月/.-]\s*\d{1,2}"
                        r"\s*日?(?:\s*\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2})?)?)")


def _text_weight(text: str) -> float:
    """Chinese characters count fully, other characters a third (a Chinese character carries ~3 letters)."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk) / 3


def _meta(doc: lxml.html.HtmlElement, *names: str) -> str:
    wanted = set(names)
    for meta in doc.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in wanted and (meta.get("content") or "").strip():
            return meta.get("content").strip()
    return ""


def _page_title(doc: lxml.html.HtmlElement) -> str:
    title = _meta(doc, "og:title", "twitter:title")
    if not title:
        for h1 in doc.iter("h1"):
            title = h1.text_content().strip()
            if title:
                break
    if not title:
        found = doc.find(".//title")
        title = found.text_content().strip() if found is not None else ""
    return _SPACES.sub(" ", title).strip()


def _page_published(doc: lxml.html.HtmlElement) -> datetime | None:
    published = parse_date(_meta(doc, *_PUBLISHED_META))
    if published is None:
        for time_element in doc.iter("time"):
            published = parse_date(time_element.get("datetime") or time_element.text_content())
            if published:
                break
    if published is None:
        match = _PAGE_DATE.search(doc.text_content()[:20_000])
        published = parse_date(match.group(1)) if match else None
    return published


def _link_share(element: lxml.html.HtmlElement, total: float) -> float:
    linked = sum(_text_weight(a.text_content()) for a in element.iter("a"))
    return min(1.0, linked / total) if total else 1.0


def _densest_block(body: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element whose paragraph children carry the most text (Readability-style scoring):
    each paragraph adds its weight to its parent and half to its grandparent; link-heavy blocks
    (menus, related-article lists) are discounted."""
    scores: dict[lxml.html.HtmlElement, float] = {}
    for paragraph in body.iter("p", "pre", "blockquote", "td"):
        weight = _text_weight(paragraph.text_content().strip())
        if weight < 10:
            continue
        weight *= 1 - _link_share(paragraph, weight)
        parent = paragraph.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + weight
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0.0) + weight / 2
    if not scores:
        # No paragraphs (text in bare <div>s and <br>s): the block with the most unlinked text.
        for element in body.iter("div", "article", "section", "main", "td"):
            weight = _text_weight(element.text_content())
            if weight:
                scores[element] = weight * (1 - _link_share(element, weight)) * 0.99 ** len(element)
    if not scores:
        return body
    return max(scores, key=scores.__getitem__)


def extract_article(data: bytes, *, url: str, content_type: str = "") -> RawItem:
    """Title, main text and publication time of an article page."""
    text = decode(data, content_type)
    if not text.strip():
        raise FeedError("网页内容为空")
    text = _XML_DECLARATION_TEXT.sub("", text, count=1)
    try:
        doc = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as error:
        raise FeedError(f"网页无法解析：{error}") from error
    title = _page_title(doc)
    published = _page_published(doc)
    for noise in doc.xpath("|".join(f"//{tag}" for tag in _PAGE_NOISE)):
        noise.drop_tree()
    for comment in doc.xpath("//comment()"):
        comment.drop_tree()
    body_element = doc.find("body")
    body = _element_text(_densest_block(body_element if body_element is not None else doc))
    first, _, rest = body.partition("\n")
    if title and first.strip() == title:  # the <h1> inside the article block repeats the title
        body = rest
    if not title and not body:
        raise FeedError("网页中没有找到标题和正文")
    return RawItem(title=_derived_title(title, body), body=body, url=url, published=published, external_id=url[:300])


# ---- JSON ------------------------------------------------------------------------------------------

_JSON_DEFAULTS = {
    "title": ("title", "name", "headline"),
    "body": ("content", "body", "text", "description", "summary"),
    "url": ("url", "link", "href"),
    "published": ("published", "pubDate", "publish_time", "published_at", "time", "date", "created_at"),
    "id": ("id", "guid", "uuid"),
}


class _Missing:
    pass


_MISSING = _Missing()


def _lookup(record: object, path: str) -> object:
    current = record
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _field(record: object, options: dict, name: str) -> object:
    path = options.get(name)
    if path:
        value = _lookup(record, str(path))
        return None if value is _MISSING else value
    for candidate in _JSON_DEFAULTS[name]:
        value = _lookup(record, candidate)
        if value is not _MISSING and value not in (None, ""):
            return value
    return None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def parse_json_items(data: bytes, options: dict) -> list[RawItem]:
    """Records of a JSON endpoint. `options` holds dotted paths: "items" to the list (empty: the
    document itself), and per record "title", "body", "url", "published", "id" (common names are
    tried when a path is not given)."""
    try:
        document = json.loads(decode(data, "application/json; charset=utf-8") if data else "")
    except json.JSONDecodeError as error:
        raise FeedError(f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列，{error.msg}") from error
    items_path = str((options or {}).get("items") or "")
    records = _lookup(document, items_path) if items_path else document
    if records is _MISSING:
        raise FeedError(f"JSON 中找不到路径“{items_path}”")
    if not isinstance(records, list):
        raise FeedError(f"JSON 路径“{items_path or '（根）'}”处不是列表")
    items = []
    for record in records:
        if not isinstance(record, dict):
            continue
        body = html_to_text(_as_text(_field(record, options, "body")))
        raw_published = _field(record, options, "published")
        item = _item(html_to_text(_as_text(_field(record, options, "title"))), body,
                     _as_text(_field(record, options, "url")), parse_date(raw_published),
                     _as_text(_field(record, options, "id")))
        if item is not None:
            items.append(item)
    return items


# ---- spreadsheets ----------------------------------------------------------------------------------

_HEADERS = {
    "title": ("标题", "题目", "title", "headline"),
    "body": ("正文", "内容", "摘要", "body", "content", "text", "summary"),
    "url": ("链接", "网址", "url", "link", "地址", "原文链接"),
    "published": ("发布时间", "时间", "日期", "发布日期", "published", "date", "time", "pubdate", "published_at"),
    "external_id": ("编号", "id", "序号", "external_id"),
}
_HEADER_LOOKUP = {name.lower(): field for field, names in _HEADERS.items() for name in names}
_MAX_ROWS = 100_000


def _header_map(row: list[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = re.sub(r"\s+", "", str(cell or "")).lower()
        field = _HEADER_LOOKUP.get(key)
        if field and field not in found:
            found[field] = index
    return found


def _csv_rows(data: bytes) -> Iterator[list[object]]:
    text = decode(data)
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as error:
        raise FeedError(f"CSV 文件格式有误：{error}") from error


def _xlsx_rows(data: bytes) -> Iterator[list[object]]:
    import zipfile

    from openpyxl import load_workbook  # imported late: only spreadsheet imports need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FeedError(f"无法读取 .xlsx 文件：{error}") from error
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _cell(row: list[object], columns: dict[str, int], field: str) -> object:
    index = columns.get(field)
    return row[index] if index is not None and index < len(row) else None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _row_date(value: object, row_number: int) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20_000 < value < 80_000:
        # An Excel serial day number that was not formatted as a date.
        return datetime(1899, 12, 30, tzinfo=SHANGHAI) + timedelta(days=float(value))
    published = parse_date(value)
    if published is None:
        raise FeedError(f"第 {row_number} 行的发布时间“{value}”无法识别（示例：2024-05-01 10:20）")
    return published


def parse_table(data: bytes, filename: str) -> list[RawItem]:
    """Rows of a .csv (any common encoding, incl. GBK and UTF-8 with BOM) or .xlsx file.

    The first non-empty row is the header: 标题/正文(内容)/链接(网址)/发布时间(时间)/编号(ID) or
    English names. Rows without title and body are skipped; an unreadable date fails the whole
    import with the row number, so a file is imported all or nothing.
    """
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv":
        rows: Iterator[list[object]] = _csv_rows(data)
    elif suffix in ("xlsx", "xlsm"):
        rows = _xlsx_rows(data)
    elif suffix == "xls":
        raise FeedError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再导入")
    else:
        raise FeedError(f"不支持的文件类型“{filename}”，请上传 .csv 或 .xlsx 文件")
    columns: dict[str, int] | None = None
    items: list[RawItem] = []
    for row_number, row in enumerate(rows, start=1):
        if row_number > _MAX_ROWS:
            raise FeedError(f"文件超过 {_MAX_ROWS} 行，请分批导入")
        if columns is None:
            if not any(_cell_text(cell) for cell in row):
                continue
            columns = _header_map(row)
            if "title" not in columns and "body" not in columns:
                raise FeedError(f"第 {row_number} 行（表头）中找不到“标题”或“正文”列")
            continue
        title = _cell_text(_cell(row, columns, "title"))
        body = _cell_text(_cell(row, columns, "body"))
        if not title and not body:
            continue
        published = _row_date(_cell(row, columns, "published"), row_number)
        item = _item(title, body, _cell_text(_cell(row, columns, "url")), published,
                     _cell_text(_cell(row, columns, "external_id")))
        if item is not None:
            items.append(item)
    if columns is None:
        raise FeedError("文件为空：没有表头和数据行")
    return items
