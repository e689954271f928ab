from core.models.audit import AuditAction, AuditChainHead, AuditEntry
from core.models.calendar import CalendarOverride
from core.models.files import StoredFile
from core.models.notifications import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Level,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WebhookEndpoint,
    WebhookKind,
)
from core.models.schedule import ScheduledRun
from core.models.tokens import ApiToken
from core.models.users import User

__all__ = [
    "ApiToken",
    "AuditAction",
    "AuditChainHead",
    "AuditEntry",
    "CalendarOverride",
    "Channel",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Level",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "ScheduledRun",
    "StoredFile",
    "User",
    "WebhookEndpoint",
    "WebhookKind",
]
