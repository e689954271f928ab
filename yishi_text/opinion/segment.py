"""Chinese word segmentation (jieba) for full-text search and event keywords.

Search needs every token of a query to be among the tokens of a matching item. Items are indexed
with `index_tokens`: jieba's full mode, every dictionary word at every position (市长江大桥 →
市长, 长江, 长江大桥, 大桥), so a word is indexed whatever way the surrounding text would be cut,
and full mode is ~1.6× faster than the search mode (measured). Full mode runs through
`fullmode.FullMode`: the same tokens as jieba's, ~1.6× faster again (an Aho-Corasick automaton
builds jieba's word graph). Queries are cut with `query_tokens`
(precise mode, no HMM new-word guessing): every multi-character token is a dictionary word and so
is in the index of any text that contains it; single characters are indexed once each as well, so
unknown names, which fall apart into characters, are found too. Organization vocabulary and rule terms go into the user dictionary (`add_words`) so
they are single tokens everywhere (their parts stay indexed too).

jieba is initialized once, lazily and thread-safely, without its log chatter, and keeps its
dictionary cache in $YISHI_VAR_DIR/jieba (else a per-user temp directory), never in the source tree.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import marshal
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # jieba 0.42's regexes have invalid escapes
    import jieba

from yishi_text.opinion.fullmode import FullMode

_lock = threading.Lock()
_ready = False
_added: set[str] = set()
_tfidf: _IdfTable | None = None
_fullmode: FullMode | None = None
_WORD = re.compile(r"\w")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGITS = re.compile(r"[\d.,%]+")
# News filler that TF-IDF ranks high in short texts but that never names a story.
_FILLER = frozenset((
    "记者", "报道", "表示", "介绍", "今天", "昨天", "明天", "今年", "目前", "近日", "日前", "我们", "他们", "你们", "一个", "没有",
    "这个", "这些", "那些", "可以", "已经", "进行", "通过", "以及", "因为", "所以", "但是", "如果", "其中", "同时", "还是", "就是",
    "自己", "有关", "方面", "相关", "情况", "问题", "工作", "发生", "时间",
))


def _cache_dir() -> Path:
    var = os.environ.get("YISHI_VAR_DIR")
    base = Path(var) / "jieba" if var else Path(tempfile.gettempdir()) / f"yishi-jieba-{os.getuid()}"
    base.mkdir(parents=True, exist_ok=True)
    return base


def _tokenizer() -> jieba.Tokenizer:
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.dt.tmp_dir = str(_cache_dir())
                jieba.dt.initialize()
                _ready = True
    return jieba.dt


def _full_mode() -> FullMode:
    """jieba's full mode, token for token, over the same dictionary (built once, ~0.4 s)."""
    global _fullmode
    if _fullmode is None:
        tokenizer = _tokenizer()
        with _lock:
            if _fullmode is None:
                _fullmode = FullMode(tokenizer)
    return _fullmode


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _words(tokens: Iterable[str]) -> list[str]:
    """Tokens with at least one letter or digit (punctuation and spaces dropped)."""
    return [token.strip() for token in tokens if _WORD.search(token)]


def index_tokens(text: str) -> str:
    """Space-joined index tokens of the text: every dictionary word at every position (jieba's
    full mode), lowercased, punctuation dropped."""
    text = _prepare(text)
    tokens = _full_mode().words(text)  # == _words(jieba's cut(text, cut_all=True)), faster (see fullmode)
    # Full mode leaves out single characters inside words (南京市长 → 南京市 … but no 长), while a
    # query may be cut into them (南京市 / 长): each distinct Chinese character is indexed once too.
    present = set(tokens)
    tokens.extend(dict.fromkeys(ch for ch in _HAN.findall(text) if ch not in present))
    return " ".join(tokens)


def query_tokens(query: str) -> list[str]:
    """Distinct tokens of a user query, in order (to be ANDed), lowercased, punctuation dropped."""
    return list(dict.fromkeys(_words(_tokenizer().cut(_prepare(query), HMM=False))))


def add_words(words: Iterable[str]) -> None:
    """Add words (rule terms, organization vocabulary) to the user dictionary so they stay whole.

    Words already added are skipped; words with spaces cannot be one token and are ignored.
    Only items indexed afterwards use the new words.
    """
    tokenizer = _tokenizer()
    fresh = []
    for word in words:
        word = _prepare(word).strip()
        if len(word) >= 2 and not any(ch.isspace() for ch in word) and word not in _added:
            fresh.append(word)
    if not fresh:
        return
    with _lock:  # jieba's dictionary is a plain dict: serialize writers
        for word in fresh:
            tokenizer.add_word(word)
            if _fullmode is not None:
                _fullmode.add(word)
            _added.add(word)


# jieba.analyse's stop words (KeywordExtractor.STOP_WORDS), applied by its TF-IDF extractor.
_TFIDF_STOP_WORDS = frozenset((
    "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as", "on", "with", "can",
    "if", "from", "which", "you", "it", "this", "then", "at", "have", "all", "not", "one", "has", "or",
))


class _IdfTable:
    """jieba's IDF table (jieba/analyse/idf.txt) and its median, read the way jieba.analyse.IDFLoader does.

    Read directly instead of importing jieba.analyse: that package imports jieba.posseg, whose
    generated probability tables (several MB of Python source) cost ~2 s to import when bytecode is
    not cached — paid by the first batch of every worker process, and we never use parts of speech."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("jieba")
        path = Path(next(iter(spec.submodule_search_locations or ())) if spec else "", "analyse", "idf.txt")
        # Parsed once into the cache directory (marshal, as jieba caches its dictionary): ~0.05 s to
        # load instead of ~0.3 s to parse, paid by each worker process's first event.
        stat = path.stat()
        cache = _cache_dir() / f"idf-{stat.st_size}-{stat.st_mtime_ns}.marshal"
        try:
            self.idf, self.median = marshal.loads(cache.read_bytes())  # noqa: S302 - our own cache, as jieba's
            return
        except (OSError, EOFError, ValueError, TypeError):
            pass
        self.idf = {}
        for line in path.read_bytes().decode("utf-8").splitlines():
            word, freq = line.strip().split(" ")
            self.idf[word] = float(freq)
        self.median = sorted(self.idf.values())[len(self.idf) // 2]
        with contextlib.suppress(OSError):  # written whole, then renamed: readers never see half a file
            handle, temp = tempfile.mkstemp(dir=cache.parent, prefix=".idf-")
            with os.fdopen(handle, "wb") as out:
                out.write(marshal.dumps((self.idf, self.median)))
            os.replace(temp, cache)

    def extract_tags(self, text: str, top: int) -> list[str]:
        """jieba.analyse.extract_tags(text, topK=top) without POS filtering, step for step: the same
        tokens (jieba.dt.cut, HMM on), the same float arithmetic and the same stable ordering."""
        freq: dict[str, float] = {}
        for word in _tokenizer().cut(text):
            if len(word.strip()) < 2 or word.lower() in _TFIDF_STOP_WORDS:
                continue
            freq[word] = freq.get(word, 0.0) + 1.0
        total = sum(freq.values())
        for word in freq:
            freq[word] *= self.idf.get(word, self.median) / total
        ranked = sorted(freq, key=freq.__getitem__, reverse=True)
        return ranked[:top] if top else ranked


def keywords(texts: list[str], top: int = 8) -> list[str]:
    """The top TF-IDF terms of the texts taken together (jieba's IDF table), for naming events."""
    global _tfidf
    if _tfidf is None:
        with _lock:
            if _tfidf is None:
                _tfidf = _IdfTable()  # ~0.3 s: only when events need keywords
    text = _prepare("\n".join(texts))
    found = _tfidf.extract_tags(text, top * 3)
    return [word for word in found if word not in _FILLER and not _DIGITS.fullmatch(word)][:top]
