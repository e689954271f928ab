"""The safe fetcher against a real HTTP server on 127.0.0.1 (allow-listed): good and broken answers."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from opinion.fetch import FetchError, clear_robots_cache, fetch, is_internal
from opinion.models import FetchAllowlist
from opinion.tests.httpfixture import local_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _robots_cache():
    clear_robots_cache()
    yield
    clear_robots_cache()


@pytest.fixture
def server():
    with local_server() as state:
        yield state


@pytest.fixture
def allowed(db):
    return FetchAllowlist.objects.create(pattern="127.0.0.0/8", note="测试服务器")


def test_private_address_is_refused_without_allowlist(server):
    with pytest.raises(FetchError) as info:
        fetch(server.base + "/rss.xml")
    assert "内网" in info.value.message
    assert server.hits == {}, "nothing may be sent to a refused address"


def test_internal_ranges():
    import ipaddress

    for address in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",  # noqa: S104
                    "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "100.64.0.1"):
        assert is_internal(ipaddress.ip_address(address)), address
    for address in ("8.8.8.8", "2400:3200::1"):
        assert not is_internal(ipaddress.ip_address(address)), address


def test_good_rss_with_allowlist(server, allowed):
    result = fetch(server.base + "/rss.xml")
    assert result.status == 200
    assert "市政府召开常务会议".encode() in result.content
    assert result.content_type.startswith("application/rss+xml")


def test_allowlist_by_host_name_does_not_cover_a_redirect_to_an_address(server):
    FetchAllowlist.objects.create(pattern="localhost")
    assert fetch(f"http://localhost:{server.port}/rss.xml").status == 200
    with pytest.raises(FetchError) as info:
        fetch(f"http://localhost:{server.port}/to-internal")
    assert "内网" in info.value.message


def test_gzip_is_decoded(server, allowed):
    assert b"<rss" in fetch(server.base + "/gzip.xml").content


def test_redirect_is_followed(server, allowed):
    result = fetch(server.base + "/hop")
    assert result.url.endswith("/rss.xml")


def test_redirect_loop(server, allowed):
    with pytest.raises(FetchError, match="重定向次数过多"):
        fetch(server.base + "/loop")
    assert server.hits["/loop"] + server.hits["/loop2"] == 6


def test_huge_page_streamed(server, allowed):
    with pytest.raises(FetchError, match="页面超过 5 MB 上限，已放弃"):
        fetch(server.base + "/huge")


def test_huge_declared_length(server, allowed):
    with pytest.raises(FetchError, match="上限"):
        fetch(server.base + "/huge-declared")


def test_conditional_get(server, allowed):
    first = fetch(server.base + "/cond.xml")
    assert first.etag == '"v1"' and not first.not_modified
    second = fetch(server.base + "/cond.xml", etag=first.etag)
    assert second.not_modified and second.status == 304 and second.content == b""


def test_robots_disallow(server, allowed):
    with pytest.raises(FetchError, match="robots.txt"):
        fetch(server.base + "/private/feed.xml")
    fetch(server.base + "/rss.xml")
    fetch(server.base + "/atom.xml")
    assert server.hits["/robots.txt"] == 1, "robots.txt is cached per host"


def test_robots_server_error_disallows(server, allowed):
    server.routes["/robots.txt"] = (503, "text/plain", b"down")
    with pytest.raises(FetchError, match="robots.txt"):
        fetch(server.base + "/rss.xml")


def test_robots_missing_allows(server, allowed):
    server.routes["/robots.txt"] = (404, "text/plain", b"")
    assert fetch(server.base + "/rss.xml").status == 200


@override_settings(YISHI_FETCH_READ_TIMEOUT=1)
def test_slow_endpoint_times_out(server, allowed):
    with pytest.raises(FetchError, match="超时"):
        fetch(server.base + "/slow")


def test_http_errors(server, allowed):
    with pytest.raises(FetchError, match="HTTP 404") as info:
        fetch(server.base + "/missing")
    assert info.value.status == 404
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(server.base + "/error500")


def test_unreachable_host(allowed):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="连接被拒绝"):
        fetch(f"http://127.0.0.1:{port}/feed.xml", respect_robots=False)


def test_dns_failure():
    with pytest.raises(FetchError, match="无法解析域名"):
        fetch("http://no-such-host.invalid/feed.xml")


def test_only_http_and_https():
    for url in ("file:///etc/passwd", "ftp://example.gov.cn/x", "gopher://x"):
        with pytest.raises(FetchError, match="仅允许 http 或 https"):
            fetch(url)
