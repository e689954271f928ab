"""A local HTTP server for the fetch and pipeline tests: good and broken feeds on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>市融媒体中心</title><link>http://example.gov.cn/</link>
<item><title>市政府召开常务会议部署城市更新工作</title><link>http://example.gov.cn/news/1.html?utm_source=rss</link>
<guid>news-1</guid><pubDate>Wed, 25 Nov 2026 08:00:00 +0800</pubDate>
<description>市政府召开常务会议，研究部署老旧小区改造和城市更新工作，要求各部门加快推进项目落地，切实改善群众居住条件。</description></item>
<item><title>我市自来水厂水质检测结果全部达标</title><link>http://example.gov.cn/news/2.html</link>
<guid>news-2</guid><pubDate>Wed, 25 Nov 2026 09:30:00 +0800</pubDate>
<description>市水务局公布本季度自来水厂出厂水和管网水水质检测结果，各项指标全部符合国家生活饮用水卫生标准。</description></item>
<item><title>市民反映某小区供暖不热问题已得到解决</title><link>http://example.gov.cn/news/3.html</link>
<guid>news-3</guid><pubDate>Wed, 25 Nov 2026 10:00:00 +0800</pubDate>
<description>针对市民反映的小区供暖温度不达标问题，市供热办组织供热企业上门排查，更换了老化管道，室温已恢复正常。</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>区政务公开</title>
<entry><title>区政府发布营商环境优化十条措施</title><id>tag:example.gov.cn,2026:atom-1</id>
<link href="http://example.gov.cn/atom/1.html"/><updated>2026-11-25T08:00:00+08:00</updated>
<summary>区政府发布优化营商环境十条措施，涉及企业开办、项目审批、融资服务等方面，进一步降低企业制度性交易成本。</summary></entry>
<entry><title>区人社局开展冬季招聘会帮助群众就业</title><id>tag:example.gov.cn,2026:atom-2</id>
<link href="http://example.gov.cn/atom/2.html"/><updated>2026-11-25T09:00:00+08:00</updated>
<summary>区人社局在市民中心举办冬季大型招聘会，两百余家企业提供岗位五千余个，现场达成就业意向一千多人。</summary></entry>
</feed>"""

GBK_PAGE = """<html><head><meta charset="gbk"><title>市交通局通报地铁施工占道情况</title></head><body>
<div class="nav">首页 | 新闻 | 公告</div>
<div class="article"><h1>市交通局通报地铁施工占道情况</h1>
<p>市交通局今天通报，地铁五号线施工期间将临时占用部分道路，请市民提前规划出行路线。</p>
<p>施工单位将设置临时交通标志并安排专人疏导交通，最大限度减少对市民出行的影响。</p>
<p>市交通局表示，施工期间如遇交通拥堵，市民可拨打服务热线反映情况，有关部门将及时处理。</p>
</div><div class="footer">版权所有</div></body></html>"""

MALFORMED = b"<?xml version='1.0'?><rss><channel><item><title>broken</title><description>no end"


@dataclass
class Server:
    base: str
    port: int
    hits: dict[str, int] = field(default_factory=dict)
    # Mutable content so a test can change what the server says between fetches.
    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)


def _handler(server_state: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes = b"", ctype: str = "text/plain; charset=utf-8",
                  headers: dict[str, str] | None = None, length: bool = True) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path.split("?", 1)[0]
            server_state.hits[path] = server_state.hits.get(path, 0) + 1
            if path in server_state.routes:
                status, ctype, body = server_state.routes[path]
                return self._send(status, body, ctype)
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow: /private/\n")
            if path == "/rss.xml":
                return self._send(200, RSS.encode(), "application/rss+xml; charset=utf-8")
            if path == "/atom.xml":
                return self._send(200, ATOM.encode(), "application/atom+xml")
            if path == "/gzip.xml":
                return self._send(200, gzip.compress(RSS.encode()), "application/rss+xml",
                                  {"Content-Encoding": "gzip"})
            if path == "/gbk.html":
                return self._send(200, GBK_PAGE.encode("gbk"), "text/html")
            if path == "/bad.xml":
                return self._send(200, MALFORMED, "application/xml")
            if path == "/private/feed.xml":
                return self._send(200, RSS.encode(), "application/rss+xml")
            if path == "/huge":
                # No Content-Length: the limit must hold while streaming.
                self._send(200, b"", "text/html", length=False)
                chunk = b"<p>" + "很长的页面".encode() * 2000 + b"</p>"
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    for _ in range(6 * 1024 * 1024 // len(chunk) + 2):
                        self.wfile.write(chunk)
                return None
            if path == "/huge-declared":
                self.send_response(200)
                self.send_header("Content-Length", str(50 * 1024 * 1024))
                self.end_headers()
                return None
            if path == "/loop":
                return self._send(302, headers={"Location": "/loop2"})
            if path == "/loop2":
                return self._send(302, headers={"Location": "/loop"})
            if path == "/hop":
                return self._send(301, headers={"Location": "/rss.xml"})
            if path == "/to-internal":
                return self._send(302, headers={"Location": f"http://127.0.0.1:{server_state.port}/rss.xml"})
            if path == "/cond.xml":
                if self.headers.get("If-None-Match") == '"v1"':
                    return self._send(304, length=True)
                return self._send(200, RSS.encode(), "application/rss+xml", {"ETag": '"v1"'})
            if path == "/slow":
                time.sleep(3)
                return self._send(200, b"late")
            if path == "/error500":
                return self._send(500, b"oops")
            return self._send(404, b"not found")

    return Handler


@contextlib.contextmanager
def local_server(host: str = "127.0.0.1") -> Iterator[Server]:
    httpd = http.server.ThreadingHTTPServer((host, 0), http.server.BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    state = Server(base=f"http://{host}:{port}", port=port)
    httpd.RequestHandlerClass = _handler(state)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
