"""Every table, imported in one place for Alembic and the metadata."""

from app.auth.models import LoginFailure, LoginSession, User, WsTicket
from app.callbacks.models import Callback, CallbackAction
from app.calls.models import Call, CallDisposition, CallLeg, CallTransition
from app.commands.models import PbxCommand, RateBudget
from app.contacts.models import Contact, ContactClaim, DoNotCall
from app.crm.models import Deal, DealStageMove, OwnershipChange, Pipeline, RefusalReason, Stage, Task, Touch
from app.dispatch.models import Offer, QueueEntry
from app.events.models import EventCounter, RealtimeEvent
from app.inbox.models import InboxItem
from app.lists.models import Attempt, CallList, ListContact, ListMember
from app.operators.models import Operator
from app.queues.models import Queue, QueueMember
from app.realtime.models import Panel, PublishedQueueStats
from app.reconcile.models import Reconciliation
from app.recordings.models import (
    CallExample,
    Playback,
    Recording,
    RecordingTicket,
    Review,
    ReviewAnswer,
    ReviewNote,
    Scorecard,
    ScorecardItem,
)
from app.reports.models import CallFiguresPart, CallRollup, CallRollupPending, RollupState
from app.team.models import PayRule, Plan

__all__ = [
    "Attempt",
    "CallList",
    "ContactClaim",
    "ListContact",
    "ListMember",
    "Call",
    "CallExample",
    "CallFiguresPart",
    "CallRollup",
    "CallRollupPending",
    "CallDisposition",
    "CallLeg",
    "CallTransition",
    "Callback",
    "CallbackAction",
    "Contact",
    "DoNotCall",
    "Deal",
    "DealStageMove",
    "EventCounter",
    "InboxItem",
    "LoginFailure",
    "LoginSession",
    "Offer",
    "Panel",
    "PayRule",
    "PbxCommand",
    "Plan",
    "Playback",
    "RateBudget",
    "Operator",
    "Recording",
    "RecordingTicket",
    "Review",
    "ReviewAnswer",
    "ReviewNote",
    "Scorecard",
    "ScorecardItem",
    "OwnershipChange",
    "Pipeline",
    "PublishedQueueStats",
    "Queue",
    "QueueEntry",
    "QueueMember",
    "RealtimeEvent",
    "Reconciliation",
    "RollupState",
    "RefusalReason",
    "Stage",
    "Task",
    "Touch",
    "User",
    "WsTicket",
]
