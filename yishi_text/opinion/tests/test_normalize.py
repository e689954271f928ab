from __future__ import annotations

import pytest

from yishi_text.opinion.normalize import (
    MAX_BODY_CHARS,
    body_hash,
    canonical_url,
    check_item,
    cjk_share,
    normalize_text,
    normalize_title,
)

REPOST = """原标题：某市自来水厂发生泄漏
2024-05-01 10:20　来源：新华网
  某市自来水厂今天上午发生泄漏事故（记者　张三）。

市政府已经组织抢修。（责任编辑：王五）
转载声明：本文系转载，版权归原作者所有。如有侵权，请联系我们删除。我们尊重原创，感谢每一位作者的辛勤付出。
点击关注，获取更多资讯
扫码关注我们
"""


def test_boilerplate_lines_are_removed_and_bylines_kept():
    assert normalize_text(REPOST) == "某市自来水厂今天上午发生泄漏事故(记者 张三)。\n市政府已经组织抢修。"


@pytest.mark.parametrize("line", [
    "来源：人民网", "来源: 人民网", "【来源：央视新闻】", "责任编辑：李四", "责任编辑 李四", "编辑：赵六",
    "原标题：市民反映水质问题", "版权声明：未经授权不得转载", "本文转自某某公众号", "免责声明：本文仅代表作者观点",
    "（编辑 王五 校对：赵六）", "2024-05-01 10:20 来源：人民网-人民日报",
])
def test_each_boilerplate_kind(line):
    assert normalize_text(f"正文第一段。\n{line}\n正文第二段。") == "正文第一段。\n正文第二段。"


def test_content_mentioning_source_words_in_a_long_line_is_kept():
    text = ("扫码支付已成为市民日常生活的一部分，这一现象在全市范围内非常普遍，很多商户都已经接入，"
            "市场监管部门对此开展了大量的检查工作，据来源：市统计局的数据显示，全市移动支付覆盖率已达九成以上。")
    assert normalize_text(text) == normalize_text(text.replace("来源：", "来源:"))
    assert "扫码支付" in normalize_text(text)
    assert "据来源:市统计局" in normalize_text(text)


def test_nfkc_and_whitespace():
    assert normalize_text("ＡＢＣ１２３\u3000\u3000全角\t空格\r\n\r\n\r\n第二段  ") == "ABC123 全角 空格\n第二段"
    assert normalize_text("") == ""
    assert normalize_text("   \n \n") == ""


def test_giant_body_is_cut_not_rejected():
    body = "很长的正文。" * 50_000  # 300,000 characters
    text = normalize_text(body)
    assert len(text) == MAX_BODY_CHARS
    assert check_item("标题", text) is None


def test_normalize_title():
    assert normalize_title("  某市\n自来水厂 （通报）  ") == "某市 自来水厂 (通报)"
    assert len(normalize_title("长" * 900)) == 500


@pytest.mark.parametrize(("url", "expected"), [
    ("HTTPS://Www.Example.COM:443/a/b/?utm_source=x&b=2&a=1&spm=3#frag", "https://www.example.com/a/b?a=1&b=2"),
    ("http://example.com:80/", "http://example.com"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("http://user:secret@example.com/news?from=timeline&id=7", "http://example.com/news?id=7"),
    ("https://news.example.cn/2024/05/01/abc.html?utm_medium=rss", "https://news.example.cn/2024/05/01/abc.html"),
    ("https://example.com/a?q=%E6%B0%B4&x=", "https://example.com/a?q=%E6%B0%B4&x="),
    ("ftp://example.com/file", ""),
    ("not a url", ""),
    ("http://[::1", ""),
    ("", ""),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_body_hash_ignores_punctuation_spaces_width_and_case():
    assert body_hash("某市停水，ABC。") == body_hash("某市 停水 abc")
    assert body_hash("某市停水") == body_hash("某市停水！")
    assert body_hash("ＡＢＣ") == body_hash("abc")
    assert body_hash("某市停水") != body_hash("某市断水")
    assert len(body_hash("x")) == 40


def test_cjk_share():
    assert cjk_share("中文abc") == pytest.approx(0.4)
    assert cjk_share("全是中文") == 1.0
    assert cjk_share("123 !!") == 0.0


@pytest.mark.parametrize(("title", "body", "reason"), [
    ("", "", "标题和正文均为空"),
    ("  ", "。。。", "标题和正文均为空"),
    ("短", "文", "内容过短（不足 5 个字）"),
    ("Breaking news", "The city water plant reported a leak this morning, officials said.", "非中文内容（中文字符仅占 0%）"),
])
def test_check_item_rejects_with_chinese_reason(title, body, reason):
    assert check_item(title, body) == reason


@pytest.mark.parametrize(("title", "body"), [
    ("某市自来水", "厂发生泄漏"),
    ("ABC 公司", "上市"),  # too few letters to judge the language
    ("WHO 发布报告", "世界卫生组织 WHO 今天发布 COVID-19 疫情报告，呼吁各国加强监测。"),
])
def test_check_item_accepts(title, body):
    assert check_item(title, body) is None
