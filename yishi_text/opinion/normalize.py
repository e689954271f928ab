"""Normalizing published items: NFKC, whitespace, repost boilerplate, canonical URLs, exact-dedupe hash.

Boilerplate (来源：…, 责任编辑：…, 原标题：…, 转载声明 …) is stripped because reposts differ from their
original mostly by it; left in, it lowers the near-duplicate similarity and pollutes rules and search.
Reporter bylines such as "（记者 张三）" are kept: they are part of the story.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Giant pages are cut rather than rejected: nothing a source delivers is lost, and the first
# 100,000 characters are far more than any news article.
MAX_BODY_CHARS = 100_000
MAX_TITLE_CHARS = 500
MIN_CHARS = 5
# Below this many letters a text is too short to judge its language (titles like "ABC 公司").
LANGUAGE_MIN_LETTERS = 20
MIN_CJK_SHARE = 0.2

_INLINE_SPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
# A line that *starts* with one of these (after an optional opening bracket) is boilerplate.
_BOILERPLATE_START = re.compile(
    r"^[\[【(〔]?\s*(?:"
    r"(?:文章|新闻|信息|稿件)?来源\s*:|责任编辑|责编\s*:|编辑\s*:|原标题\s*:|原文标题\s*:|原文链接\s*:|"
    r"转载声明|版权声明|免责声明|本文转自|本文来源|本文来自|特别声明|声明\s*:"
    r")",
)
# Calls to action: only short lines, "扫码支付已成为……" in a story is content.
_PROMPT_START = re.compile(r"^[\[【(〔]?\s*(?:点击关注|扫码|扫描二维码|长按二维码|长按识别|关注我们|分享到|打开.{0,6}app)",
                           re.IGNORECASE)
# Short header/footer lines that carry a source or editor somewhere inside:
# "2024-05-01 10:20 来源：新华网 作者：…", "（编辑 王五 校对 赵六）".
_BOILERPLATE_INSIDE = re.compile(r"(?:来源|责任编辑|编辑|校对|审核|签发)\s*[:：]")
_SHORT_LINE = 80
_PROMPT_LINE = 30
# "……结束。（责任编辑：王五）" at the end of a content line.
_INLINE_EDITOR = re.compile(r"[(\[【〔]\s*(?:责任编辑|责编|编辑|来源)\s*:[^)\]】〕\n]{0,40}[)\]】〕]")
# Punctuation, symbols and whitespace: everything but letters and digits (CJK ideographs are letters).
_NOT_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

_TRACKING_PARAMS = frozenset({"spm", "from", "fbclid", "gclid", "share_token", "share_from", "isappinstalled",
                              "scene", "sharer_shareid", "wfr", "_wv"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _is_boilerplate(line: str) -> bool:
    if _BOILERPLATE_START.match(line):
        return True
    if len(line) <= _PROMPT_LINE and _PROMPT_START.match(line):
        return True
    return len(line) <= _SHORT_LINE and _BOILERPLATE_INSIDE.search(line) is not None


def normalize_text(text: str) -> str:
    """NFKC, whitespace collapsed (paragraphs kept as "\\n"), boilerplate lines removed, cut at MAX_BODY_CHARS."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text[: MAX_BODY_CHARS * 2])
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    lines = []
    for raw in _NEWLINES.split(text):
        line = _INLINE_EDITOR.sub("", _INLINE_SPACE.sub(" ", raw)).strip()
        if line and not _is_boilerplate(line):
            lines.append(line)
    return "\n".join(lines)[:MAX_BODY_CHARS]


def normalize_title(title: str) -> str:
    """A title on one line: NFKC, whitespace collapsed, cut to the Item.title column size."""
    return _INLINE_SPACE.sub(" ", unicodedata.normalize("NFKC", title or "").replace("\n", " ")).strip()[
        :MAX_TITLE_CHARS]


def canonical_url(url: str) -> str:
    """One spelling per page: lowercase scheme/host, no fragment, tracking params or default port,
    sorted query, no trailing "/". Returns "" for what is not an absolute http(s) URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        return ""
    netloc = host  # credentials in a URL are never kept
    if port is not None and str(port) != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    query = sorted(
        (key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
    )
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def _word_chars(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def body_hash(text: str) -> str:
    """sha1 hex of the text without punctuation and whitespace, lowercased: exact-duplicate key."""
    return hashlib.sha1(_word_chars(text).encode("utf-8"), usedforsecurity=False).hexdigest()


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among letters (digits, punctuation and spaces do not count)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return len(_CJK.findall(text)) / letters


def check_item(title: str, body: str) -> str | None:
    """None when the item is worth keeping, else a Chinese reason (the item is skipped and counted).

    Long bodies are not a reason: normalize_text cuts them at MAX_BODY_CHARS.
    """
    text = f"{title or ''}\n{body or ''}"
    chars = len(_NOT_WORD.sub("", text))
    if not chars:
        return "标题和正文均为空"
    if chars < MIN_CHARS:
        return f"内容过短（不足 {MIN_CHARS} 个字）"
    letters = sum(1 for ch in text if ch.isalpha())
    if letters >= LANGUAGE_MIN_LETTERS:
        share = cjk_share(text)
        if share < MIN_CJK_SHARE:
            return f"非中文内容（中文字符仅占 {share:.0%}）"
    return None
