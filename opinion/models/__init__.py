"""Models of the opinion app, one module per area; import from `opinion.models`."""

from opinion.models.alerts import Alert, AlertRule, OpinionSettings
from opinion.models.duty import DutyHandover
from opinion.models.events import Event, EventHeat
from opinion.models.incidents import Incident, IncidentLog, IncidentStatement
from opinion.models.items import Item, ItemBand, RuleMatch
from opinion.models.reports import OpinionReport
from opinion.models.rules import KeywordRule
from opinion.models.sentiment import SentimentModelVersion
from opinion.models.sources import FetchAllowlist, FetchLog, Source, SourceDayCount

__all__ = [
    "Alert", "AlertRule", "DutyHandover", "Incident", "IncidentLog", "IncidentStatement", "OpinionReport",
    "OpinionSettings",
    "Event", "EventHeat", "FetchAllowlist", "FetchLog", "Item", "ItemBand", "KeywordRule", "RuleMatch", "Source",
    "SourceDayCount",
    "SentimentModelVersion",
]
