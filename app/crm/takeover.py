"""Taking over what is another manager's: a client, or a callback someone else is working.

The seeds' rule is one manager per client.  ``TAKEOVER_POLICY`` says who may break it:
``logged`` (operators may, by asking explicitly; every takeover is logged) or ``supervisor``
(operators get 403 and ask a supervisor to reassign).  Every takeover path asks here.
"""

from dataclasses import dataclass
from enum import StrEnum

from app.auth.models import Role, User
from app.errors import Conflict, Forbidden


class TakeoverPolicy(StrEnum):
    logged = "logged"
    supervisor = "supervisor"


@dataclass(frozen=True)
class Takeover:
    """Whether the actor asked to take over (``takeover=true``), under the configured policy."""

    asked: bool = False
    policy: TakeoverPolicy = TakeoverPolicy.logged

    def permit(self, *, actor: User, conflict: str) -> None:
        """Called where the thing is someone else's: 409 without the request, 403 for an operator
        while takeovers are the supervisors'."""
        if not self.asked:
            raise Conflict(f"{conflict}; pass takeover=true to take it over")
        if self.policy == TakeoverPolicy.supervisor and actor.role == Role.operator:
            raise Forbidden(f"{conflict}; here only supervisors reassign (TAKEOVER_POLICY=supervisor): ask one")
