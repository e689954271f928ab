"""Supervision (督办), response rules and duty rosters; included by ledger/urls.py."""

urlpatterns: list = []
