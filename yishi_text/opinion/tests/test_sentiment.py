"""Sentiment model, lexicon and offline datasets (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from yishi_text.opinion import datasets, lexicon, sentiment


@pytest.fixture(scope="module")
def data() -> datasets.Dataset:
    return datasets.build()


@pytest.fixture(scope="module")
def small_model(data: datasets.Dataset) -> sentiment.SentimentModel:
    rows = datasets.subsample(data.train, 400)
    return sentiment.train([e.text for e in rows], [e.label for e in rows])


# --- lexicon -------------------------------------------------------------------------------------------


def test_lexicon_has_our_curated_terms_with_weights_and_a_version():
    lex = lexicon.load()
    assert len(lex.weights) >= 300
    assert lex.weights["拖欠工资"] == 2.0 and lex.weights["约谈"] == 0.5
    assert lexicon.version().startswith(f"neg-{len(lex.weights)}-")


def test_lexicon_hits_each_term_once_in_order():
    found = lexicon.hits("某县发生安全事故，网友质疑监管不作为；事故原因正在调查")
    assert found == ["安全事故", "事故", "网友质疑", "质疑", "不作为"]
    assert lexicon.hits("") == [] and lexicon.hits("今天天气晴朗，市民出游") == []


def test_lexicon_parse_skips_comments_and_reads_weights():
    weights = lexicon.parse(["# 注释", "", "爆炸 2", "投诉", "  欠薪\t1.5  "])
    assert weights == {"爆炸": 2.0, "投诉": 1.0, "欠薪": 1.5}
    lex = lexicon.build(weights, "test")
    assert lex.hits("工地欠薪引发投诉") == ["欠薪", "投诉"] and lex.score("工地欠薪引发投诉") == 2.5


def test_vectorised_lexicon_matcher_agrees_with_hits_and_never_crosses_texts(data):
    texts = [e.text for e in data.test[:3000]] + ["某地发生安全", "事故", "ＡＢＣ投诉", ""]
    expected = [len(lexicon.hits(t)) for t in texts]
    assert sentiment.lexicon_counts(texts) == expected
    assert sum(expected) > 1000
    # "安全" ends one text and "事故" starts the next: 安全事故 must not be found in either.
    assert sentiment.lexicon_counts(["某地发生安全", "事故"]) == [0, 1]


# --- features ------------------------------------------------------------------------------------------


def test_features_are_unit_length_and_independent_of_batch_neighbours():
    texts = ["这家店服务太差了", "市政府召开常务会议", "ABCabc"]
    together = sentiment.featurize(texts)
    assert np.all(np.diff(together.rows) >= 0)
    norms = np.bincount(together.rows, weights=together.vals.astype(np.float64) ** 2)
    assert np.allclose(norms, 1.0, atol=1e-5)
    for i, text in enumerate(texts):
        alone = sentiment.featurize([text])
        mine = together.rows == i
        assert sorted(together.cols[mine]) == sorted(alone.cols)
        assert (together.lex[i] == alone.lex[0]).all()
    # Full-width and upper-case letters fold to the same features as ASCII lower case.
    assert sorted(sentiment.featurize(["ＡＢＣ"]).cols) == sorted(sentiment.featurize(["abc"]).cols)


def test_only_the_first_max_chars_are_read():
    head = "事故" * (sentiment.MAX_CHARS // 2)
    a = sentiment.featurize([head])
    b = sentiment.featurize([head + "非常满意，强烈推荐" * 50])
    assert (a.cols == b.cols).all() and (a.lex == b.lex).all()


# --- model ---------------------------------------------------------------------------------------------


def test_small_model_learns_all_three_classes(small_model, data):
    test = datasets.subsample(data.test, 150)
    figures = sentiment.evaluate(small_model, [e.text for e in test], [e.label for e in test])
    assert figures["accuracy"] > 0.7 and figures["neg_recall"] > 0.7
    assert set(figures["per_class"]) == {"neg", "neu", "pos"}
    labels = [label for label, _ in small_model.predict([
        "某县化工厂发生爆炸事故，造成3人死亡，周边村民质疑监管不力",
        "质量很好，物流也快，非常满意，下次还来买",
        "１２月３１日，国务院召开常务会议，研究部署明年经济工作",
    ])]
    assert labels == ["neg", "pos", "neu"]


def test_predict_returns_confidences_and_blank_text_is_neutral(small_model):
    results = small_model.predict(["太差了，再也不买了", "", "   "])
    assert results[0][0] == "neg" and 0.5 < results[0][1] <= 1.0
    assert results[1:] == [("neu", 1.0), ("neu", 1.0)]
    assert small_model.predict([]) == []


def test_neutral_band_turns_unsure_polar_predictions_neutral(small_model):
    texts = ["还行吧，一般般", "东西收到了", "太差了，再也不买了"]
    strict = sentiment.SentimentModel(small_model.weights, small_model.bias, threshold=0.999,
                                      lexicon_version=small_model.lexicon_version)
    assert all(label == "neu" for label, _ in strict.predict(texts[:2]))
    for label, confidence in strict.predict(texts):
        assert label == "neu" and 0 <= confidence <= 1


def test_serialize_round_trip(small_model):
    blob = small_model.to_bytes()
    again = sentiment.SentimentModel.from_bytes(blob)
    texts = ["物业乱收费，业主集体投诉", "新建的公园很漂亮"]
    assert np.allclose(again.probabilities(texts), small_model.probabilities(texts))
    assert again.threshold == small_model.threshold and again.lexicon_version == lexicon.version()
    assert again.meta["n_train"] == small_model.meta["n_train"]
    with pytest.raises(ValueError, match="格式"):
        sentiment.SentimentModel.from_bytes(_with_format(small_model, 99))
    assert sentiment.SentimentModel.from_bytes(_with_format(small_model, sentiment.FORMAT_VERSION)).threshold == 0.5


def _with_format(model: sentiment.SentimentModel, version: int) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, format_version=np.array(version), n_buckets=np.array(sentiment.N_BUCKETS),
             labels=np.array(sentiment.LABELS), weights=model.weights, bias=model.bias, threshold=np.array(0.5),
             lexicon_version=np.array(""), meta=np.array("{}"))
    return buffer.getvalue()


def test_training_is_deterministic(data):
    rows = datasets.subsample(data.train, 60)
    texts, labels = [e.text for e in rows], [e.label for e in rows]
    a = sentiment.train(texts, labels)
    b = sentiment.train(texts, labels)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    c = sentiment.train(texts, labels, seed=7)
    assert not np.array_equal(a.weights, c.weights)


def test_sample_weights_make_a_text_count_more(data):
    rows = datasets.subsample(data.train, 60)
    texts = [e.text for e in rows] + ["蓝鲸号科考船今日返港"]
    labels = [e.label for e in rows] + ["neg"]
    plain = sentiment.train(texts, labels)
    heavy = sentiment.train(texts, labels, sample_weights=[1.0] * len(rows) + [50.0])
    p_plain = plain.probabilities(["蓝鲸号科考船今日返港"])[0][0]
    p_heavy = heavy.probabilities(["蓝鲸号科考船今日返港"])[0][0]
    assert p_heavy > p_plain + 0.1


def test_train_rejects_bad_input():
    with pytest.raises(ValueError):
        sentiment.train([], [])
    with pytest.raises(ValueError):
        sentiment.train(["a"], ["neg", "pos"])


def test_score_labels_figures():
    figures = sentiment.score_labels(["neg", "neg", "neu", "pos"], ["neg", "neu", "neu", "neg"])
    assert figures["accuracy"] == 0.5 and figures["neg_recall"] == 0.5
    assert figures["per_class"]["neg"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert figures["per_class"]["neu"]["f1"] == round(2 * 0.5 * 1 / 1.5, 4)
    assert figures["macro_f1"] == round((0.5 + round(2 / 3, 4) + 0) / 3, 4)
    assert figures["confusion"]["neg"] == {"neg": 1, "neu": 1, "pos": 0}


# --- datasets ------------------------------------------------------------------------------------------


def test_strip_tags_of_the_1998_corpus():
    assert datasets.strip_tags("迈向/v  充满/v  希望/n  的/u  新/a  世纪/n  ——/w") == "迈向充满希望的新世纪——"


def test_reviews_are_deduplicated_and_contradictions_dropped():
    reviews = datasets.load_reviews()
    texts = [e.text for e in reviews]
    assert len(texts) == len(set(texts)) > 15000
    assert {e.label for e in reviews} == {"pos", "neg"}


def test_own_news_is_deterministic_and_labelled():
    a, b = datasets.own_news(), datasets.own_news()
    assert a == b and len(a) > 5000
    assert {e.label for e in a} == {"neg", "neu", "pos"}
    assert not any("{" in e.text for e in a)  # every slot filled


def test_split_is_deterministic_stratified_and_by_group(data):
    assert datasets.build.__wrapped__() == data  # a fresh build gives the same split
    train_groups = {e.group for e in data.train}
    assert not train_groups & {e.group for e in data.test}
    held = {e.text for e in data.held_out_news}
    assert len(held) == datasets.HELD_OUT_NEWS and not held & {e.text for e in data.train + data.test}
    counts = data.counts()
    for key, n_test in counts["test"].items():
        share = n_test / (n_test + counts["train"][key])
        assert 0.1 < share < 0.4, key  # ~20%, whole template groups make news_own coarser
    own_test_templates = {e.group for e in data.test if e.group.startswith("t-")}
    assert own_test_templates and not own_test_templates & train_groups
