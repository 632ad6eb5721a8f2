"""Every table, imported in one place for Alembic and the metadata."""

from app.auth.models import User
from app.callbacks.models import Callback, CallbackAction
from app.calls.models import Call, CallLeg, CallTransition
from app.commands.models import PbxCommand, RateBudget
from app.contacts.models import Contact
from app.dispatch.models import Offer, QueueEntry
from app.inbox.models import InboxItem
from app.operators.models import Operator
from app.queues.models import Queue, QueueMember

__all__ = [
    "Call",
    "CallLeg",
    "CallTransition",
    "Callback",
    "CallbackAction",
    "Contact",
    "InboxItem",
    "Offer",
    "PbxCommand",
    "RateBudget",
    "Operator",
    "Queue",
    "QueueEntry",
    "QueueMember",
    "User",
]
