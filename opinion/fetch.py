"""A safe HTTP client for fetching public sources.

What makes it safe to point at URLs typed in by users:
- only http/https; every host is resolved first and the connection goes to the checked address
  (no second DNS lookup that could answer differently), so loopback, private, link-local,
  reserved and multicast addresses are refused unless an administrator allow-listed the host
  name or a network containing the address (`FetchAllowlist`);
- redirects are followed by hand, each hop checked the same way, at most 5;
- connect/read timeouts plus an overall deadline (a server trickling one byte a second cannot
  hold a worker forever), and a streaming size limit applied to the decoded body;
- robots.txt is respected per host (cached an hour, fetched through this same client);
- conditional GET (ETag / Last-Modified): a 304 comes back as `not_modified`.

Errors are `FetchError` with a Chinese message shown to users on the source page.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass

import urllib3
from django.conf import settings

USER_AGENT = "YishiMonitor/1.0 (+舆情监测)"
# HTTP header values are Latin-1: the Chinese part is sent percent-encoded.
USER_AGENT_HEADER = urllib.parse.quote(USER_AGENT, safe="/ ()+;:.,")
ROBOTS_AGENT = "YishiMonitor"
MAX_REDIRECTS = 5
ROBOTS_TTL = 3600.0
ROBOTS_MAX_BYTES = 512 * 1024
_CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A fetch that failed; `message` is Chinese and meant for users, `status` the HTTP status if any."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class FetchResult:
    url: str  # the final URL after redirects
    status: int
    content: bytes
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def connect_timeout() -> float:
    return _setting("YISHI_FETCH_CONNECT_TIMEOUT", 5.0)


def read_timeout() -> float:
    return _setting("YISHI_FETCH_READ_TIMEOUT", 15.0)


def max_bytes() -> int:
    return int(_setting("YISHI_FETCH_MAX_BYTES", 5 * 1024 * 1024))


# --- address checks ---------------------------------------------------------------------------------


def is_internal(ip: IPAddress) -> bool:
    """Anything that is not a public unicast address: loopback, private, link-local, reserved, multicast."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global or ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified)


def load_allowlist() -> list[str]:
    from opinion.models import FetchAllowlist

    return [p.strip().lower() for p in FetchAllowlist.objects.values_list("pattern", flat=True) if p.strip()]


def allowed_by_list(host: str, ip: IPAddress, patterns: list[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern == host:
            return True
        try:
            if ip in ipaddress.ip_network(pattern, strict=False):
                return True
        except ValueError:
            continue  # a host name pattern that is not this host
    return False


def resolve(host: str, port: int, patterns: list[str]) -> str:
    """The address to connect to, after checking every address the name resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"无法解析域名 {host}（DNS 查询失败）") from exc
    # IPv4 first: a dual-stack name whose service listens on IPv4 only must still connect.
    addresses = sorted(dict.fromkeys(info[4][0] for info in infos), key=lambda a: ":" in a)
    if not addresses:
        raise FetchError(f"无法解析域名 {host}（DNS 查询失败）")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if is_internal(ip) and not allowed_by_list(host, ip, patterns):
            raise FetchError(f"拒绝访问内网或保留地址 {ip}（{host}）；如确需抓取，请管理员将其加入内网抓取白名单")
    return addresses[0]


# --- one request --------------------------------------------------------------------------------------


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"不支持的地址协议“{parts.scheme or '（空）'}”：仅允许 http 或 https")
    host = parts.hostname
    if not host:
        raise FetchError("地址缺少主机名")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("地址端口无效") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def _host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return shown if port == default else f"{shown}:{port}"


def _read_limited(response: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise FetchError(f"页面超过 {limit // (1024 * 1024)} MB 上限，已放弃")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.stream(_CHUNK, decode_content=True):
        size += len(chunk)
        if size > limit:
            raise FetchError(f"页面超过 {max(limit // (1024 * 1024), 1)} MB 上限，已放弃")
        if time.monotonic() > deadline:
            raise FetchError("读取超时：服务器响应过慢")
        chunks.append(chunk)
    return b"".join(chunks)


def _request_once(url: str, headers: dict[str, str], patterns: list[str], limit: int,
                  deadline: float) -> tuple[int, dict[str, str], bytes]:
    scheme, host, port, path = _split(url)
    address = resolve(host, port, patterns)
    timeout = urllib3.Timeout(connect=connect_timeout(), read=read_timeout())
    kwargs: dict = {"timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        # Connect to the checked address; verify the certificate against the host name.
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **kwargs)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **kwargs)
    request_headers = {"Host": _host_header(host, port, scheme), "User-Agent": USER_AGENT_HEADER,
                       "Accept-Encoding": "gzip, deflate", **headers}
    try:
        response = pool.urlopen("GET", path, headers=request_headers, redirect=False, preload_content=False,
                                retries=False, assert_same_host=False)
        try:
            body = b"" if response.status in (301, 302, 303, 307, 308, 304) else _read_limited(response, limit, deadline)
            return response.status, {k.lower(): v for k, v in response.headers.items()}, body
        finally:
            response.release_conn()
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: test it first.
    except urllib3.exceptions.NewConnectionError as exc:
        raise FetchError(f"无法连接 {host}：连接被拒绝或网络不可达") from exc
    except urllib3.exceptions.ConnectTimeoutError as exc:
        raise FetchError(f"连接 {host} 超时") from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FetchError("读取超时：服务器响应过慢") from exc
    except urllib3.exceptions.SSLError as exc:
        raise FetchError(f"{host} 的 HTTPS 证书校验失败") from exc
    except urllib3.exceptions.DecodeError as exc:
        raise FetchError("服务器返回的压缩内容无法解码") from exc
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError) as exc:
        raise FetchError(f"与 {host} 通信失败：{exc.__class__.__name__}") from exc
    finally:
        pool.close()


def _raw_get(url: str, headers: dict[str, str] | None = None, *, limit: int | None = None,
             patterns: list[str] | None = None) -> tuple[str, int, dict[str, str], bytes]:
    """GET following up to MAX_REDIRECTS redirects, checking each hop. Returns (final url, status, headers, body)."""
    patterns = load_allowlist() if patterns is None else patterns
    limit = max_bytes() if limit is None else limit
    deadline = time.monotonic() + connect_timeout() + read_timeout() * 2
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        status, response_headers, body = _request_once(current, headers or {}, patterns, limit, deadline)
        if status in (301, 302, 303, 307, 308):
            location = response_headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} 重定向缺少目标地址", status=status)
            current = urllib.parse.urljoin(current, location)
            continue
        return current, status, response_headers, body
    raise FetchError(f"重定向次数过多（超过 {MAX_REDIRECTS} 次）")


# --- robots.txt ---------------------------------------------------------------------------------------

_robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser | bool]] = {}
_robots_lock = threading.Lock()


def clear_robots_cache() -> None:
    with _robots_lock:
        _robots.clear()


def _robots_for(origin: str, patterns: list[str]) -> urllib.robotparser.RobotFileParser | bool:
    """A parser, or True (everything allowed) / False (everything disallowed)."""
    now = time.monotonic()
    with _robots_lock:
        cached = _robots.get(origin)
    if cached and cached[0] > now:
        return cached[1]
    rules: urllib.robotparser.RobotFileParser | bool
    try:
        _final, status, _headers, body = _raw_get(origin + "/robots.txt", limit=ROBOTS_MAX_BYTES, patterns=patterns)
    except FetchError:
        rules = True  # unreachable robots.txt: no rules published
    else:
        if status >= 500:
            rules = False  # the site is failing; come back later rather than guess
        elif status >= 400:
            rules = True
        else:
            parser = urllib.robotparser.RobotFileParser()
            parser.parse(body.decode("utf-8", "replace").splitlines())
            rules = parser
    with _robots_lock:
        _robots[origin] = (now + ROBOTS_TTL, rules)
    return rules


def robots_allowed(url: str, patterns: list[str] | None = None) -> bool:
    scheme, host, port, _path = _split(url)
    origin = f"{scheme}://{_host_header(host, port, scheme)}"
    rules = _robots_for(origin, load_allowlist() if patterns is None else patterns)
    if isinstance(rules, bool):
        return rules
    return rules.can_fetch(ROBOTS_AGENT, url)


# --- the public call ------------------------------------------------------------------------------------


def fetch(url: str, *, etag: str = "", last_modified: str = "", respect_robots: bool = True) -> FetchResult:
    """GET a public URL safely. 304 → `not_modified`; 4xx/5xx and every failure raise FetchError."""
    patterns = load_allowlist()
    if respect_robots and not robots_allowed(url, patterns):
        raise FetchError("该网站的 robots.txt 不允许抓取此地址")
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    final, status, response_headers, body = _raw_get(url, headers, patterns=patterns)
    if status == 304:
        return FetchResult(final, status, b"", response_headers.get("content-type", ""), etag, last_modified,
                           not_modified=True)
    if status >= 400:
        kind = "服务器错误" if status >= 500 else "请求被拒绝或页面不存在"
        raise FetchError(f"HTTP {status} 错误（{kind}）", status=status)
    return FetchResult(
        url=final, status=status, content=body, content_type=response_headers.get("content-type", ""),
        etag=response_headers.get("etag", ""), last_modified=response_headers.get("last-modified", ""),
    )
