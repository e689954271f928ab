"""Request-wide policies: audit context, session idle expiry, forced password change, CSP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from core import audit

Handler = Callable[[HttpRequest], HttpResponse]


def client_ip(request: HttpRequest) -> str | None:
    # Behind the HTTPS proxy the client is the first X-Forwarded-For hop; otherwise REMOTE_ADDR.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.YISHI_HTTPS else ""
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


class AuditContextMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        with audit.audit_context(
            actor=request.user,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
            request_id=request_id,
            via="api" if request.path.startswith("/api/") else "web",
        ):
            return self.get_response(request)


# Paths a user who must change the password, or whose session ended, may still reach.
_OPEN_PREFIXES = ("/static/", "/healthz", "/api/", "/accounts/login", "/accounts/logout", "/accounts/password")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith("/api/"):
            now = time.time()
            last_seen = request.session.get("last_seen", now)
            if now - last_seen > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.warning(request, "会话已过期，请重新登录")
                return self._to_login(request)
            if now - last_seen > settings.YISHI_SESSION_RENEW_SECONDS or "last_seen" not in request.session:
                request.session["last_seen"] = now  # modifying the session renews its cookie
            if user.must_change_password and not request.path.startswith(_OPEN_PREFIXES):
                target = reverse("core:password_change")
                if request.htmx:  # type: ignore[attr-defined]
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return HttpResponseRedirect(target)
        return self.get_response(request)

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        target = f"{reverse('core:login')}?next={request.path}"
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"detail": "会话已过期，请重新登录"}, status=401)
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            # Ninja's Swagger page loads its own inline bootstrap script and CDN-free assets.
            response.setdefault(
                "Content-Security-Policy",
                settings.YISHI_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
            )
        else:
            response.setdefault("Content-Security-Policy", settings.YISHI_CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
