from __future__ import annotations

import codecs
import io
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from openpyxl import Workbook

from yishi_text.opinion.feeds import (
    SHANGHAI,
    FeedError,
    RawItem,
    decode,
    extract_article,
    html_to_text,
    parse_date,
    parse_feed,
    parse_json_items,
    parse_table,
)

BEIJING = timezone(timedelta(hours=8))

RSS2 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>某某新闻</title><link>http://news.example.cn/</link>
<item>
  <title>某市自来水厂发生泄漏</title>
  <link>http://news.example.cn/2024/0501/1.html</link>
  <guid isPermaLink="false">news-1</guid>
  <pubDate>Wed, 01 May 2024 10:20:00 +0800</pubDate>
  <dc:creator>张三</dc:creator>
  <description><![CDATA[<p>摘要：某市停水</p>]]></description>
  <content:encoded><![CDATA[<p>今天上午，某市自来水厂发生<b>泄漏</b>事故。</p><p>市政府已组织抢修。</p><script>alert(1)</script>]]></content:encoded>
</item>
<item>
  <link>http://news.example.cn/2024/0501/2.html</link>
  <description>没有标题的条目，只有一段正文，也应当保留下来。&lt;br/&gt;第二行</description>
  <pubDate>Wed, 01 May 2024 02:00:00 GMT</pubDate>
</item>
<item><title>没有链接的条目</title><description>正文</description></item>
<item><title>相对链接</title><link>/2024/0501/3.html</link></item>
<item><title>永久链接</title><guid>http://news.example.cn/p/4</guid></item>
<item><title> </title><description> </description></item>
</channel></rss>"""

RSS1 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://example.cn/"><title>RDF</title><items><rdf:Seq><rdf:li resource="http://example.cn/a"/></rdf:Seq></items></channel>
  <item rdf:about="http://example.cn/a"><title>RDF \xe6\x9d\xa1\xe7\x9b\xae</title><link>http://example.cn/a</link>
    <description>\xe6\xad\xa3\xe6\x96\x87</description><dc:date>2024-05-01T10:00:00+08:00</dc:date></item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:feed</id>
<entry><title type="html">&lt;b&gt;停水&lt;/b&gt;通知</title><id>urn:1</id>
  <link rel="self" href="http://example.cn/self/1"/><link rel="alternate" href="http://example.cn/1"/>
  <published>2024-05-01T02:20:00Z</published><updated>2024-05-02T00:00:00Z</updated>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>第一段</p><p>第二段</p></div></content>
</entry>
<entry><title>纯文本</title><id>urn:2</id><link href="http://example.cn/2"/>
  <updated>2024-05-01 10:00</updated><summary>a &amp; b &lt;不是标签&gt;</summary></entry>
<entry><title>HTML 内容</title><id>urn:3</id><content type="html">&lt;p&gt;段落&lt;/p&gt;</content></entry>
</feed>"""


def test_rss2():
    items = parse_feed(RSS2.encode())
    assert len(items) == 5  # the empty item is dropped
    first = items[0]
    assert first == RawItem(title="某市自来水厂发生泄漏", body="今天上午，某市自来水厂发生泄漏事故。\n市政府已组织抢修。",
                            url="http://news.example.cn/2024/0501/1.html",
                            published=datetime(2024, 5, 1, 10, 20, tzinfo=BEIJING), external_id="news-1")
    assert first.published.utcoffset() == timedelta(hours=8)
    assert "张三" not in repr(first)  # no author identities are kept
    untitled = items[1]
    assert untitled.title.startswith("没有标题的条目")
    assert untitled.body == "没有标题的条目，只有一段正文，也应当保留下来。\n第二行"
    assert untitled.external_id == "http://news.example.cn/2024/0501/2.html"  # the link when there is no guid
    assert untitled.published == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    assert items[2].url == "" and items[2].body == "正文"
    assert items[3].url == "http://news.example.cn/2024/0501/3.html"
    assert items[4].url == items[4].external_id == "http://news.example.cn/p/4"  # guid isPermaLink by default


def test_rss1_rdf():
    (item,) = parse_feed(RSS1, content_type="application/rdf+xml")
    assert item.title == "RDF 条目"
    assert item.body == "正文"
    assert item.external_id == "http://example.cn/a"
    assert item.published == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def test_atom():
    first, second, third = parse_feed(ATOM.encode())
    assert first.title == "停水通知"
    assert first.url == "http://example.cn/1"  # rel=alternate, not self
    assert first.body == "第一段\n第二段"
    assert first.published == datetime(2024, 5, 1, 2, 20, tzinfo=UTC)  # published before updated
    assert first.external_id == "urn:1"
    assert second.body == "a & b <不是标签>"  # type="text" is not parsed as HTML
    assert second.published == datetime(2024, 5, 1, 10, 0, tzinfo=SHANGHAI)  # naive: Beijing time
    assert third.body == "段落" and third.published is None


def test_gbk_feed_with_declaration():
    data = RSS2.replace('encoding="utf-8"', 'encoding="gb2312"').encode("gb18030")
    assert [i.title for i in parse_feed(data)][0] == "某市自来水厂发生泄漏"


def test_gbk_feed_without_declaration_uses_http_charset():
    data = RSS2.replace('<?xml version="1.0" encoding="utf-8"?>', "").encode("gbk")
    assert parse_feed(data, content_type="application/rss+xml; charset=GBK")[0].title == "某市自来水厂发生泄漏"


def test_utf16_feed_with_bom():
    data = codecs.BOM_UTF16_LE + RSS2.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16-le")
    assert parse_feed(data)[0].title == "某市自来水厂发生泄漏"


@pytest.mark.parametrize("data", [
    b"<rss><channel><item><title>x</title></channel></rss>",
    b"<rss>\n<channel>\n<item>",
    b"<rss><channel><item><title>a & b</title></item></channel></rss>",
    b"\x00\x01\x02binary",
])
def test_malformed_xml(data):
    with pytest.raises(FeedError, match=r"^订阅源不是有效的 XML：第 \d+ 行第 \d+ 列有误"):
        parse_feed(data)


@pytest.mark.parametrize("data", [
    # billion laughs
    b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
    <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><rss><channel><item><title>&lol3;</title></item></channel></rss>""",
    # external entity (XXE)
    b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <rss><channel><item><title>&xxe;</title></item></channel></rss>""",
])
def test_entity_declarations_are_refused(data):
    with pytest.raises(FeedError, match="^订阅源包含实体声明，出于安全原因拒绝解析$"):
        parse_feed(data)


def test_a_bare_doctype_is_parsed_without_fetching_it():
    """RSS 0.91 feeds carry Netscape's DOCTYPE; expat reads past it and fetches nothing (port 9 is closed)."""
    data = """<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/rss-0.91.dtd">
    <rss version="0.91"><channel><title>t</title><item><title>市政府召开常务会议</title>
    <link>https://example.gov.cn/a</link><description>会议研究部署近期重点工作。</description></item></channel></rss>""".encode()
    items = parse_feed(data)
    assert [i.title for i in items] == ["市政府召开常务会议"]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "订阅源内容为空"),
    (b"  \n", "订阅源内容为空"),
    (b"<html><body><p>not a feed</p></body></html>", "不是 RSS 或 Atom 订阅源（根元素为 <html>）"),
])
def test_not_a_feed(data, message):
    with pytest.raises(FeedError) as caught:
        parse_feed(data)
    assert str(caught.value) == message


def test_giant_feed_item_is_read_quickly():
    paragraph = "<p>" + "某市自来水厂发生泄漏事故，市政府已组织抢修。" * 20 + "</p>"
    body = paragraph * 2_000  # ~1 MB of HTML in one item
    data = (f'<rss version="2.0"><channel><item><title>巨大</title><description><![CDATA[{body}]]>'
            f"</description></item></channel></rss>").encode()
    started = time.perf_counter()
    (item,) = parse_feed(data)
    assert time.perf_counter() - started < 10
    assert item.body.count("\n") == 1_999
    assert len(item.body) > 800_000


# ---- web pages ----

ARTICLE = """<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某市停水_新闻中心_某某网</title>
<meta property="article:published_time" content="2024-05-01T10:20:00+08:00">
<style>p { color: red }</style></head>
<body><header><nav><a href="/">首页</a><a href="/news">新闻中心</a><a href="/gov">政务公开</a></nav></header>
<div class="side"><h3>相关新闻</h3><ul>
  <li><p><a href="/1">某市启动供水应急预案，全力保障市民生活用水需要</a></p></li>
  <li><p><a href="/2">某市召开新闻发布会通报泄漏事故的最新处置情况</a></p></li>
  <li><p><a href="/3">专家解读：自来水厂泄漏事故对居民健康的影响有多大</a></p></li></ul></div>
<div class="main"><div class="article"><h1>某市自来水厂发生泄漏 全市停水</h1>
<div class="info">发布时间：2024-04-30 08:00 来源：某某网</div>
<p>今天上午，某市自来水厂发生化工原料泄漏事故，全市大范围停水，市民生活受到影响。</p>
<p>市政府已经组织相关部门全力抢修，预计明天恢复供水。市民可拨打<a href="/tel">热线电话</a>咨询。</p>
<p>据了解，事故原因正在调查之中。</p></div></div>
<aside>广告：某某牌净水器，限时特价</aside>
<form><input name="q"><button>搜索</button></form>
<footer>版权所有 某某网 京ICP备12345678号</footer><script>var ad = "广告代码";</script></body></html>"""


def test_extract_article_gbk_page():
    item = extract_article(ARTICLE.encode("gbk"), url="http://news.example.cn/a.html")
    assert item.title == "某市自来水厂发生泄漏 全市停水"  # <h1> before <title>
    assert item.body.startswith("发布时间：2024-04-30 08:00 来源：某某网\n今天上午，某市自来水厂发生化工原料泄漏事故")
    assert item.body.endswith("据了解，事故原因正在调查之中。")
    assert "市民可拨打热线电话咨询" in item.body
    for noise in ("首页", "相关新闻", "应急预案", "净水器", "搜索", "版权所有", "广告代码", "color"):
        assert noise not in item.body
    assert item.published == datetime(2024, 5, 1, 10, 20, tzinfo=BEIJING)
    assert item.url == item.external_id == "http://news.example.cn/a.html"


def test_extract_article_title_and_date_fallbacks():
    og = ARTICLE.replace("<title>", '<meta property="og:title" content="开放图谱标题"><title>')
    assert extract_article(og.encode("gbk"), url="u").title == "开放图谱标题"
    no_meta = ARTICLE.replace('<meta property="article:published_time" content="2024-05-01T10:20:00+08:00">', "")
    assert extract_article(no_meta.encode("gbk"), url="u").published == datetime(2024, 4, 30, 8, 0, tzinfo=SHANGHAI)
    with_time = no_meta.replace("<p>据了解", '<p><time datetime="2024-04-29T09:00:00Z">昨天</time>据了解')
    assert extract_article(with_time.encode("gbk"), url="u").published == datetime(2024, 4, 29, 9, 0, tzinfo=UTC)
    title_only = "<html><head><title>只有标题</title></head><body></body></html>"
    item = extract_article(title_only.encode(), url="u")
    assert (item.title, item.body, item.published) == ("只有标题", "", None)


def test_extract_article_without_paragraphs():
    page = ("<html><body><div id='menu'><a href='/'>首页</a> <a href='/a'>新闻</a></div>"
            "<div id='content'>第一段正文内容比较长，讲述了事情的经过。<br>第二段正文内容继续说明处置情况。</div></body></html>")
    item = extract_article(page.encode(), url="u")
    assert item.body == "第一段正文内容比较长，讲述了事情的经过。\n第二段正文内容继续说明处置情况。"
    assert item.title.startswith("第一段正文")


@pytest.mark.parametrize("data", [b"", b"   ", b"<html></html>"])
def test_extract_article_empty(data):
    with pytest.raises(FeedError):
        extract_article(data, url="u")


def test_extract_article_giant_page():
    page = "<html><body><div>" + ("<p>" + "正文内容很长。" * 50 + "</p>") * 5_000 + "</div></body></html>"
    started = time.perf_counter()
    item = extract_article(page.encode(), url="u")
    assert time.perf_counter() - started < 20
    assert len(item.body) > 1_000_000


# ---- decoding ----

TEXT = "某市自来水厂发生泄漏事故，市政府已组织抢修，预计明天恢复供水。"


@pytest.mark.parametrize(("data", "content_type"), [
    (TEXT.encode("utf-8"), ""),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), ""),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), ""),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), ""),
    (TEXT.encode("gbk"), "text/html; charset=gbk"),
    (TEXT.encode("gb18030"), "text/html; charset=GB2312"),
    (TEXT.encode("utf-8"), "text/html; charset=ISO-8859-1"),  # wrong server default
    (TEXT.encode("utf-8"), "text/html; charset=gbk"),  # stale declaration after a move to UTF-8
    (TEXT.encode("utf-8"), "text/html; charset=no-such-codec"),
])
def test_decode(data, content_type):
    assert decode(data, content_type).lstrip("\ufeff") == TEXT


def test_decode_detects_undeclared_gbk():
    assert decode((TEXT * 3).encode("gbk")) == TEXT * 3


def test_decode_reads_in_document_declarations():
    xml = f'<?xml version="1.0" encoding="gb2312"?><r>{TEXT}</r>'
    assert TEXT in decode(xml.encode("gbk"))
    page = f'<html><head><meta charset="gbk"></head><body>{TEXT}</body></html>'
    assert TEXT in decode(page.encode("gbk"))


def test_decode_never_raises():
    assert decode(b"") == ""
    cut = TEXT.encode("utf-8")[:-1]  # a download cut inside the last character
    assert decode(cut) == TEXT[:-1]
    garbage = bytes(range(256)) * 4
    assert isinstance(decode(garbage, "text/html; charset=utf-8"), str)
    assert isinstance(decode(garbage), str)


def test_html_to_text():
    assert html_to_text("<p>一</p><p>二<br>三</p>") == "一\n二\n三"
    assert html_to_text("a &amp; b") == "a & b"
    assert html_to_text("<style>x{}</style><p>正文</p>") == "正文"
    assert html_to_text("") == ""


@pytest.mark.parametrize(("value", "expected"), [
    ("Wed, 01 May 2024 10:20:00 +0800", datetime(2024, 5, 1, 10, 20, tzinfo=BEIJING)),
    ("Wed, 01 May 2024 02:20:00 GMT", datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    ("Wed, 01 May 2024 02:20:00 -0000", datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    ("2024-05-01 10:20:00 +0800", datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    ("2024-05-01T02:20:00Z", datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    ("2024-05-01T10:20:00+08:00", datetime(2024, 5, 1, 10, 20, tzinfo=BEIJING)),
    ("2024-05-01 10:20:00", datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=SHANGHAI)),
    ("2024/05/01 10:20", datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    ("2024年5月1日 10:20", datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    ("2024年05月01日10时20分", datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    (1714530000, datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    (1714530000000, datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    ("1714530000", datetime(2024, 5, 1, 2, 20, tzinfo=UTC)),
    (datetime(2024, 5, 1, 10, 20), datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)),
    ("昨天", None),
    ("2024-13-45", None),
    ("", None),
    (None, None),
])
def test_parse_date(value, expected):
    assert parse_date(value) == expected


# ---- JSON ----

def test_json_with_dotted_paths():
    data = json.dumps({"code": 0, "data": {"list": [
        {"id": 7, "info": {"headline": "停水通知", "html": "<p>第一段</p><p>第二段</p>"},
         "share": {"url": "http://x.cn/7"}, "ts": 1714530000000},
        {"id": 8, "info": {"headline": "", "html": ""}},
        "not a record",
        {"id": 9, "info": {"headline": "无时间"}},
    ]}}, ensure_ascii=False).encode()
    options = {"items": "data.list", "title": "info.headline", "body": "info.html", "url": "share.url",
               "published": "ts", "id": "id"}
    first, second = parse_json_items(data, options)
    assert first == RawItem(title="停水通知", body="第一段\n第二段", url="http://x.cn/7",
                            published=datetime(2024, 5, 1, 2, 20, tzinfo=UTC), external_id="7")
    assert (second.title, second.body, second.published, second.external_id) == ("无时间", "", None, "9")


def test_json_defaults_and_root_list():
    data = json.dumps([{"title": "标题", "content": "正文", "link": "http://x.cn/1", "pubDate": "2024-05-01 10:00"}],
                      ensure_ascii=False).encode()
    (item,) = parse_json_items(data, {})
    assert (item.title, item.body, item.url) == ("标题", "正文", "http://x.cn/1")
    assert item.published == datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)
    assert parse_json_items(b'{"a": [[{"title": "x"}]]}', {"items": "a.0"})[0].title == "x"


@pytest.mark.parametrize(("data", "options", "message"), [
    (b"{not json", {}, "不是有效的 JSON：第 1 行第 2 列"),
    (b"", {}, "不是有效的 JSON"),
    (b'{"data": {}}', {"items": "data.list"}, "JSON 中找不到路径“data.list”"),
    (b'{"data": {"list": {"a": 1}}}', {"items": "data.list"}, "JSON 路径“data.list”处不是列表"),
    (b'{"data": 1}', {}, "JSON 路径“（根）”处不是列表"),
])
def test_json_errors_name_the_path(data, options, message):
    with pytest.raises(FeedError) as caught:
        parse_json_items(data, options)
    assert str(caught.value).startswith(message)


# ---- spreadsheets ----

CSV_TEXT = "编号,标题,正文,链接,发布时间\n1,某市停水,自来水厂检修,http://x.cn/1,2024-05-01 10:20\n2,,,,\n3,只有标题,,,\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_any_common_encoding(encoding):
    items = parse_table(CSV_TEXT.encode(encoding), "导入.CSV")
    assert [(i.external_id, i.title, i.body) for i in items] == [("1", "某市停水", "自来水厂检修"), ("3", "只有标题", "")]
    assert items[0].url == "http://x.cn/1"
    assert items[0].published == datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)


def test_csv_english_headers_other_delimiter_and_quotes():
    text = 'Title\tContent\tURL\tDate\n"停水,通知"\t"第一行\n第二行"\thttp://x.cn/1\t2024/05/01\n'
    (item,) = parse_table(text.encode(), "a.csv")
    assert (item.title, item.body) == ("停水,通知", "第一行\n第二行")
    assert item.external_id == "http://x.cn/1"


def test_csv_bad_date_names_the_row():
    text = "标题,发布时间\n第一条,2024-05-01\n第二条,下周三\n"
    with pytest.raises(FeedError, match="^第 3 行的发布时间“下周三”无法识别"):
        parse_table(text.encode(), "a.csv")


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx():
    data = _xlsx([[], ["标题", "内容", "网址", "时间", "ID", "来源"],
                  ["某市停水", "自来水厂检修", "http://x.cn/1", datetime(2024, 5, 1, 10, 20), 101, "某某网"],
                  [None, None, None, None, None, None],
                  ["第二条", "正文", None, "2024年5月2日", None, None]])
    first, second = parse_table(data, "导入.xlsx")
    assert (first.title, first.body, first.url, first.external_id) == ("某市停水", "自来水厂检修", "http://x.cn/1", "101")
    assert first.published == datetime(2024, 5, 1, 10, 20, tzinfo=SHANGHAI)
    assert second.published == datetime(2024, 5, 2, tzinfo=SHANGHAI)


def test_xlsx_bad_date_names_the_row():
    data = _xlsx([["标题", "发布时间"], ["a", "2024-05-01"], ["b", "不知道"]])
    with pytest.raises(FeedError, match="^第 3 行的发布时间"):
        parse_table(data, "a.xlsx")


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"PK\x03\x04broken", "a.xlsx", "无法读取 .xlsx 文件"),
    (b"not a zip", "a.xlsx", "无法读取 .xlsx 文件"),
    (b"x", "a.xls", "不支持旧版 .xls 文件"),
    (b"x", "a.txt", "不支持的文件类型“a.txt”"),
    (b"", "a.csv", "文件为空"),
    ("作者,来源\n张三,某某网\n".encode(), "a.csv", "第 1 行（表头）中找不到“标题”或“正文”列"),
])
def test_table_errors(data, filename, message):
    with pytest.raises(FeedError) as caught:
        parse_table(data, filename)
    assert str(caught.value).startswith(message)


def test_absurdly_nested_page_is_an_error_not_a_crash():
    page = "<html><body>" + "<div>" * 20_000 + "<p>深层嵌套的正文。</p>" + "</div>" * 20_000 + "</body></html>"
    with pytest.raises(FeedError):
        extract_article(page.encode(), url="u")
    assert isinstance(html_to_text("<div>" * 20_000 + "正文" + "</div>" * 20_000), str)
