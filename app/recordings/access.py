"""Who may listen to a call's recordings: the one exception to "reading is open" (README,
*Permissions*).

Supervisors and admins: every call.  An operator: calls they were connected to (their leg was
answered, or the call is theirs), calls of clients they own, and calls marked as *good*
examples — not calls they were merely offered, and never a *bad* example (data about an employee).
"""

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.calls.models import Call, CallLeg
from app.contacts.models import Contact
from app.recordings.models import CallExample, ExampleKind
from schemas.pbx_events import LegKind


def may_listen(*, session: Session, user: User, call: Call) -> bool:
    if user.role in (Role.admin, Role.supervisor):
        return True
    example = session.execute(select(CallExample.kind).where(CallExample.call_id == call.id)).scalar()
    if example is not None:
        return example == ExampleKind.good
    if call.operator_id == user.id:
        return True
    if (
        user.extension
        and session.execute(
            select(
                exists().where(
                    CallLeg.call_id == call.id,
                    CallLeg.kind == LegKind.operator,
                    CallLeg.extension == user.extension,
                    CallLeg.connected_at.is_not(None),
                )
            )
        ).scalar()
    ):
        return True
    return call.contact_id is not None and session.get(Contact, call.contact_id).owner_id == user.id
