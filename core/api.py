"""The REST API (Django Ninja) under /api/, OpenAPI docs at /api/docs.

Authentication is a per-user token (`Authorization: Bearer ys_…`) created in the UI; the session
cookie also works for the browser. Every endpoint scopes rows with the same `visible_to` as the UI.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from core import audit
from core.tokens import user_for_key


class TokenAuth(HttpBearer):
    openapi_description = "个人 API 令牌，在“API 令牌”页面创建：Authorization: Bearer ys_…"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_key(token)
        if user is None:
            return None
        request.user = user
        # The middleware set the audit context before auth resolved the user.
        audit.bind_actor(user, via="api")
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session (with CSRF checked by Ninja for unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.must_change_password:
            return user
        return None


_UNAUTHORIZED = {
    "description": "未认证：缺少或无效的 API 令牌",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}


class YishiAPI(NinjaAPI):
    """Every authenticated operation can answer 401; say so once here instead of in every router."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    operation.setdefault("responses", {}).setdefault("401", _UNAUTHORIZED)
        return schema


api = YishiAPI(
    title="意识 Yishi API",
    version="1.0",
    description="意识形态工作平台接口。所有数据按调用者所在单位范围过滤。",
    auth=[TokenAuth(), SessionAuth()],
    docs_url="/docs",
    urls_namespace="api",
)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=400)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "无权执行此操作"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "记录不存在或无权访问"}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "未认证：请提供有效的 API 令牌"}, status=401)


@api.get("/me", tags=["账户"], summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    from core.scoping import access_for

    user = request.auth
    access = access_for(user)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "unit_id": access.own_unit_id,
        "roles": sorted(access.roles),
        "is_admin": access.is_admin,
    }


def _register_routers() -> None:
    from ledger.api import router as ledger_router
    from ledger.api_supervision import router as supervision_router
    from opinion.api import router as opinion_router
    from org.api import router as org_router
    from org.api_responsibility import router as responsibility_router
    from plans.api import router as plans_router
    from risks.api import router as risks_router
    from risks.meetings.api import router as meetings_router

    api.add_router("/org", org_router, tags=["组织"])
    api.add_router("/plans", plans_router, tags=["工作要点"])
    api.add_router("/ledger", ledger_router, tags=["任务台账"])
    api.add_router("/ledger", supervision_router, tags=["督办"])
    api.add_router("/risks", risks_router, tags=["风险防控"])
    api.add_router("/meetings", meetings_router, tags=["研判会与演练"])
    api.add_router("/responsibility", responsibility_router, tags=["主体责任"])
    api.add_router("/opinion", opinion_router, tags=["舆情监测"])


_register_routers()
