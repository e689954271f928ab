from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from pathlib import Path

from yishi_text.opinion import segment
from yishi_text.opinion.segment import add_words, index_tokens, keywords, query_tokens

from .people_daily import paragraphs

ROOT = Path(__file__).resolve().parents[3]


def test_index_tokens_are_search_mode_without_punctuation():
    tokens = index_tokens("中华人民共和国，某市自来水厂发生泄漏！").split()
    for word in ("中华人民共和国", "人民", "共和国", "自来水", "自来水厂", "泄漏"):
        assert word in tokens
    assert "，" not in tokens and "!" not in tokens and "" not in tokens


def test_full_width_and_case_are_folded():
    assert index_tokens("ＣＯＶＩＤ疫情") == index_tokens("covid疫情")
    assert "covid" in index_tokens("COVID 疫情").split()


def test_every_query_token_of_a_text_is_in_its_index():
    """What a user types as a query is found in an item containing that text."""
    text = "市应急管理局通报化工厂泄漏事故处置情况，张三丰同志参加了现场会议，南京市长江大桥通车。"
    indexed = set(index_tokens(f"据报道，{text}今天下午").split())
    for query in ("应急管理局", "化工厂泄漏", "事故处置", "张三丰", "现场会议", "长江大桥", "南京市长", text):
        assert set(query_tokens(query)) <= indexed, query


def test_multi_character_query_tokens_are_always_indexed():
    """Whatever the context, each Chinese token of a query found inside a text is among its tokens."""
    rng = random.Random(5)
    checked = 0
    for paragraph in paragraphs()[100:400]:
        indexed = set(index_tokens(paragraph).split())
        for _ in range(5):
            start = rng.randrange(max(1, len(paragraph) - 6))
            query = paragraph[start:start + rng.choice((2, 3, 4, 6))]
            for token in query_tokens(query):
                if not token.isascii():  # "45" cut out of "457" is not a word of the text
                    checked += 1
                    assert token in indexed, (query, token)
    assert checked > 1000


def test_query_tokens_are_distinct_and_ordered():
    assert query_tokens("自来水厂 泄漏，泄漏！") == ["自来水厂", "泄漏"]
    assert query_tokens("  ，。 ") == []


def test_user_words_stay_whole_and_their_parts_are_indexed():
    word = "宜石区智慧水务中心"
    assert word not in index_tokens(f"{word}发布通知").split()
    add_words([word, "  ", "x", "带 空格"])
    tokens = index_tokens(f"{word}发布通知").split()
    assert word.lower() in tokens
    assert "中心" in tokens  # the parts still match shorter queries
    assert query_tokens(word) == [word]
    add_words([word])  # idempotent


def test_keywords_name_the_story():
    texts = ["某市自来水厂发生化工原料泄漏事故，全市停水，市民反映水质问题。",
             "自来水厂泄漏事故后续：市政府通报停水原因，水质检测合格。",
             "停水第二天，记者走访发现多个小区已恢复供水，水质检测正常。"]
    found = keywords(texts, top=5)
    assert len(found) == 5
    assert {"停水", "水质"} <= set(found)
    assert "记者" not in found
    assert keywords([], top=3) == []


def test_concurrent_first_use_is_safe():
    errors = []

    def work() -> None:
        try:
            for _ in range(20):
                assert "泄漏" in index_tokens("化工厂泄漏")
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_cache_goes_to_the_var_dir_and_jieba_is_quiet(tmp_path):
    var = tmp_path / "var"
    code = "from yishi_text.opinion.segment import index_tokens; print(index_tokens('自来水厂泄漏'))"
    env = {**os.environ, "YISHI_VAR_DIR": str(var)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "泄漏" in out.stdout
    assert out.stderr == ""  # no "Building prefix dict …" chatter
    assert list((var / "jieba").glob("jieba*.cache"))
    assert not list((ROOT / "yishi_text").glob("**/jieba*.cache"))  # never in the source tree
    assert segment._cache_dir().is_dir()


def test_keywords_are_jieba_analyse_extract_tags():
    """keywords() reads jieba's IDF table itself (importing jieba.analyse costs ~2 s): the ranking
    must be jieba.analyse.extract_tags's, ties and all."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba.analyse

    keywords(["预热"])  # loads segment's table
    texts = paragraphs()
    for start in range(0, 3000, 3):
        text = segment._prepare("\n".join(texts[start:start + 3]))
        assert segment._tfidf.extract_tags(text, 24) == jieba.analyse.extract_tags(text, topK=24)
    assert segment._tfidf.extract_tags(text, 0) == jieba.analyse.extract_tags(text, topK=0)


def test_idf_table_parsed_and_cached_is_jiebas(tmp_path, monkeypatch):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import jieba.analyse

    monkeypatch.setenv("YISHI_VAR_DIR", str(tmp_path))
    parsed = segment._IdfTable()
    assert list((tmp_path / "jieba").glob("idf-*.marshal"))
    cached = segment._IdfTable()
    reference = jieba.analyse.default_tfidf
    for table in (parsed, cached):
        assert table.idf == reference.idf_freq and table.median == reference.median_idf
