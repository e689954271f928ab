"""REST API of the opinion app under /api/opinion: one router mounting each part's endpoints."""

from __future__ import annotations

from ninja import Router

from opinion.api_incidents import router as incidents_router
from opinion.api_ingest import router as ingest_router
from opinion.api_monitor import router as monitor_router

router = Router()
router.add_router("", monitor_router)
router.add_router("", ingest_router)
router.add_router("", incidents_router)
