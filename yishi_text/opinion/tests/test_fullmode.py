"""fullmode.FullMode must cut exactly as jieba's full mode, token for token, on real text.

Search depends on it: items indexed before and after the switch must hold the same tokens.
"""

from __future__ import annotations

import random

from yishi_text.opinion import segment
from yishi_text.opinion.fullmode import FullMode

from .people_daily import articles, paragraphs


def _jieba(text: str) -> list[str]:
    return list(segment._tokenizer().cut(text, cut_all=True))


def test_same_tokens_as_jieba_on_peoples_daily():
    full = segment._full_mode()
    texts = [segment._prepare(p) for p in paragraphs()[:6000]]
    texts += [segment._prepare("\n".join(article)) for article in articles()[:300]]
    for text in texts:
        assert full.cut(text) == _jieba(text), text[:60]
    assert len(texts) > 6000


def test_same_tokens_with_ascii_symbols_and_other_scripts():
    """Blocks mixing CJK with ASCII letters, digits and jieba's block symbols (+#&._%-) take the
    slower path with jieba's English-run gluing; everything else is passed through as jieba does."""
    full = segment._full_mode()
    fixed = ["iphone6手机和b超检查，c++与c#语言，t恤衫 at&t 3.14% 2024年11月-12月", "", "  ", "abc", "中", "a中b国c",
             "x光片", "5g网络", "22个", "..中国..", "é漢字の〇々", "卡拉ok厅\r\n里有ktv"]
    rng = random.Random(7)
    alphabet = "abcxyz019+#&._%-\u3000 \t\n，。中国人民银行长江大桥市长南京ab卡拉ok光片é漢字の〇々"
    generated = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    for text in fixed + generated:
        assert full.cut(text) == _jieba(text), text


def test_words_added_later_are_cut_as_jieba_cuts_them():
    full = segment._full_mode()
    text = "宜石区数据资源局和宜石区智能网联汽车测试中心联合发布通知，智能网联很重要"
    words = ["宜石区数据资源局", "智能网联汽车测试中心"]  # the second starts where 智能 does: ends merge
    segment.add_words(words)
    assert full.cut(text) == _jieba(text)
    assert "宜石区数据资源局" in full.cut(text) and "智能网联汽车测试中心" in full.cut(text)


def test_a_fresh_instance_over_the_tokenizer_matches_the_shared_one():
    fresh = FullMode(segment._tokenizer())
    text = segment._prepare(paragraphs()[42])
    assert fresh.cut(text) == segment._full_mode().cut(text) == _jieba(text)


def test_index_tokens_unchanged_by_the_faster_cut():
    """index_tokens as it was written before fullmode: jieba's cut straight."""
    for paragraph in paragraphs()[2000:3000]:
        text = segment._prepare(paragraph)
        tokens = segment._words(_jieba(text))
        present = set(tokens)
        tokens.extend(dict.fromkeys(ch for ch in segment._HAN.findall(text) if ch not in present))
        assert segment.index_tokens(paragraph) == " ".join(tokens)


def test_words_are_the_cut_tokens_with_a_letter_or_digit():
    full = segment._full_mode()
    rng = random.Random(11)
    alphabet = "abc019+#&._%-\u3000 \t\n，。中国人民银行长江大桥市长é漢字〇"
    texts = [segment._prepare(p) for p in paragraphs()[:2000]]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    texts += ["中国-人民", "--", "中国+", "%中%"]
    for text in texts:
        assert full.words(text) == segment._words(_jieba(text)), text
