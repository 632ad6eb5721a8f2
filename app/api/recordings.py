"""Listening to calls: a call's recordings, their audio (Range, with a ticket for ``<audio>``), and
the calls supervisors mark as examples to learn from."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import FileResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from app.auth.deps import BearerCredentials, CallCenterUser, Supervisor, current_user
from app.auth.models import Role, User
from app.calls.models import Call, CallLeg
from app.database import utcnow
from app.deps import DbDep
from app.errors import AppError, Forbidden, NotFound, Unauthorized
from app.recordings import access, cache, examples, playbacks, tickets
from app.recordings.models import ExampleKind, Recording
from schemas.common import Id
from schemas.pbx_events import LegKind, RecordingState
from schemas.recordings import ExampleIn, ExampleOut, RecordingOut, TicketIn, TicketOut

router = APIRouter(prefix="/api", tags=["recordings"])

STORAGE_DELAY = timedelta(minutes=1)  # MANGO: "saving takes a while — try again in a minute"

_AUDIO = {
    200: {"description": "the audio, whole", "content": {"audio/*": {}}},
    206: {"description": "the requested range", "content": {"audio/*": {}}},
    416: {"description": "the range is past the end of the file"},
    503: {"description": "the PBX did not hand the file over in time; retry after Retry-After seconds"},
}


class RecordingNotPlayable(NotFound):
    """404 with ``detail`` no_recording, not_ready (and ``expected_at``) or not_stored."""

    def __init__(self, detail: str, expected_at: datetime | None = None) -> None:
        super().__init__(detail)
        if expected_at is not None:
            self.extra = {"expected_at": expected_at.isoformat()}


class PbxUnavailable(AppError):
    status_code = 503

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


@router.get("/calls/{call_id:id}/recordings", response_model=list[RecordingOut])
async def list_recordings(call_id: Id, db: DbDep, user: CallCenterUser):
    """A call's recordings, newest first; who listened, to supervisors."""
    supervisor = user.role in (Role.admin, Role.supervisor)
    return await db.read(lambda s: _listed(s, call_id, with_playbacks=supervisor, now=utcnow()))


@router.post("/calls/{call_id:id}/recording-ticket", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
async def recording_ticket(call_id: Id, db: DbDep, user: CallCenterUser, body: TicketIn | None = None):
    """A URL for a browser's ``<audio>``: valid 10 minutes, for this user and this recording only."""
    wanted = body.recording_id if body else None

    def issue(session: Session) -> TicketOut:
        recording = _chosen(session, call_id, wanted, user=user, now=utcnow())
        ticket, expires_at = tickets.issue(session=session, user_id=user.id, recording_id=recording.id, now=utcnow())
        url = f"/api/calls/{call_id}/recordings/{recording.id}/audio?ticket={ticket}"
        return TicketOut(url=url, expires_at=expires_at)

    return await db.run(issue)


@router.get("/calls/{call_id:id}/recording", responses=_AUDIO, response_class=FileResponse)
async def latest_audio(
    call_id: Id,
    request: Request,
    db: DbDep,
    credentials: BearerCredentials,
    ticket: Annotated[str | None, Query(max_length=100, description="from POST .../recording-ticket")] = None,
):
    """The call's newest playable recording (Range requests, ``If-Range``)."""
    return await _audio(request, db, credentials, ticket, call_id=call_id, recording_id=None)


@router.get("/calls/{call_id:id}/recordings/{recording_id:id}/audio", responses=_AUDIO, response_class=FileResponse)
async def recording_audio(
    call_id: Id,
    recording_id: Id,
    request: Request,
    db: DbDep,
    credentials: BearerCredentials,
    ticket: Annotated[str | None, Query(max_length=100, description="from POST .../recording-ticket")] = None,
):
    """One recording's audio (Range requests, ``If-Range``)."""
    return await _audio(request, db, credentials, ticket, call_id=call_id, recording_id=recording_id)


@router.post("/calls/{call_id:id}/example", response_model=ExampleOut)
async def mark_example(call_id: Id, body: ExampleIn, db: DbDep, user: Supervisor):
    """Marks the call as a good or bad example (marking again replaces the mark)."""

    def mark(session: Session) -> ExampleOut:
        call = _call(session, call_id)
        example = examples.mark(
            session=session,
            call=call,
            by=user.id,
            now=utcnow(),
            **{**body.model_dump(), "kind": ExampleKind(body.kind)},
        )
        return _example_out(example, call)

    return await db.run(mark)


@router.delete("/calls/{call_id:id}/example", status_code=status.HTTP_204_NO_CONTENT)
async def unmark_example(call_id: Id, db: DbDep, _user: Supervisor):
    if not await db.run(lambda s: examples.unmark(session=s, call_id=call_id)):
        raise NotFound(f"call {call_id} is not marked as an example")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/examples", response_model=list[ExampleOut])
async def list_examples(
    db: DbDep,
    user: CallCenterUser,
    stage_id: Id | None = None,
    kind: Annotated[str | None, Query(pattern="^(good|bad)$")] = None,
    operator_id: Id | None = None,
):
    """The coaching library, newest calls first; operators see the good examples only."""
    good_only = user.role == Role.operator
    rows = await db.read(
        lambda s: examples.listed(
            session=s,
            stage_id=stage_id,
            kind=ExampleKind(kind) if kind else None,
            operator_id=operator_id,
            good_only=good_only,
        )
    )
    return [_example_out(example, call) for example, call in rows]


async def _audio(request, db, credentials, ticket, *, call_id: int, recording_id: int | None) -> FileResponse:
    recordings: cache.RecordingCache = request.app.state.recording_cache
    user = await current_user(request, db, credentials) if ticket is None else None

    def choose(session: Session) -> tuple[Recording, User]:
        now = utcnow()
        if user is not None:
            return _chosen(session, call_id, recording_id, user=user, now=now), user
        held = tickets.holder(session=session, ticket=ticket, now=now)
        if held is None or recording_id not in (None, held[1]) or session.get(Recording, held[1]).call_id != call_id:
            raise Unauthorized("the ticket is unknown, expired, or for another recording")
        listener, ticketed = held
        return _chosen(session, call_id, ticketed, user=listener, now=now), listener

    recording, listener = await db.read(choose)
    try:
        audio = await recordings.audio(recording.id)
    except cache.Gone as exc:
        raise RecordingNotPlayable("not_stored") from exc
    except cache.Refused as exc:
        raise Forbidden("the recording's link leads to a host recordings may not come from") from exc
    except cache.Unavailable as exc:
        raise PbxUnavailable(f"the PBX did not hand the recording over: {exc}", retry_after=exc.retry_after) from exc
    await _log_playback(request, db, user_id=listener.id, recording_id=recording.id)
    cleanup = BackgroundTask(audio.path.unlink, missing_ok=True) if audio.temporary else None
    return FileResponse(audio.path, media_type=audio.content_type, background=cleanup)


async def _log_playback(request: Request, db, *, user_id: int, recording_id: int) -> None:
    """Once per user, recording and hour in this process (Range requests come by the dozen)."""
    hour = utcnow().replace(minute=0, second=0, microsecond=0)
    logged: set = request.app.state.playbacks_logged
    if (user_id, recording_id, hour) in logged:
        return
    await db.run(lambda s: playbacks.log(session=s, user_id=user_id, recording_id=recording_id, now=utcnow()))
    if len(logged) > 10_000:
        logged.clear()
    logged.add((user_id, recording_id, hour))


def _call(session: Session, call_id: int) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"call {call_id} does not exist")
    return call


def _chosen(session: Session, call_id: int, recording_id: int | None, *, user: User, now: datetime) -> Recording:
    """The recording to play (a given one, or the newest playable), once ``user`` may listen to it;
    raises the 404 that says why there is nothing to play."""
    call = _call(session, call_id)
    if not access.may_listen(session=session, user=user, call=call):
        raise Forbidden("you may listen to calls you took part in, of your clients, and good examples")
    rows = _recordings(session, call_id)
    if recording_id is not None:
        rows = [row for row in rows if row.id == recording_id]
        if not rows:
            raise NotFound(f"call {call_id} has no recording {recording_id}")
    playable = [row for row in rows if _state(row, now) == RecordingState.playable]
    if playable:
        return playable[0]
    if not rows:
        raise RecordingNotPlayable("no_recording")
    waiting = [_expected_at(row, now) for row in rows if _state(row, now) != RecordingState.not_stored]
    if waiting:
        raise RecordingNotPlayable("not_ready", min(waiting))
    raise RecordingNotPlayable("not_stored")


def _recordings(session: Session, call_id: int) -> list[Recording]:
    query = (
        select(Recording)
        .where(Recording.call_id == call_id)
        .order_by(Recording.reported_at.desc(), Recording.id.desc())
    )
    return list(session.execute(query).scalars())


def _state(row: Recording, now: datetime) -> RecordingState:
    """As a listener sees it: a file the PBX asks us to wait for is still processing."""
    if row.state == RecordingState.playable and row.ready_at is not None and row.ready_at > now:
        return RecordingState.processing
    return RecordingState(row.state)


def _expected_at(row: Recording, now: datetime) -> datetime:
    if row.ready_at is not None and row.ready_at > now:
        return row.ready_at
    return max(row.updated_at + STORAGE_DELAY, now + timedelta(seconds=5))


def _listed(session: Session, call_id: int, *, with_playbacks: bool, now: datetime) -> list[RecordingOut]:
    call = _call(session, call_id)
    rows = _recordings(session, call_id)
    legs = list(session.execute(select(CallLeg).where(CallLeg.call_id == call_id)).scalars())
    operators = dict(
        session.execute(
            select(User.extension, User.id).where(User.extension.in_({row.extension for row in rows if row.extension}))
        ).all()
    )
    listened = playbacks.of(session=session, recording_ids=[row.id for row in rows]) if with_playbacks else {}
    return [
        RecordingOut(
            id=row.id,
            state=_state(row, now).value,
            expected_at=_expected_at(row, now) if _state(row, now) in _WAITING else None,
            duration_seconds=_duration(call, legs, row.extension),
            extension=row.extension,
            operator_id=operators.get(row.extension) or (call.operator_id if not row.extension else None),
            reported_at=row.reported_at,
            playbacks=listened.get(row.id) if with_playbacks else None,
        )
        for row in rows
    ]


_WAITING = (RecordingState.recording, RecordingState.processing)


def _duration(call: Call, legs: list[CallLeg], extension: str | None) -> int | None:
    """The recorded person's talk (their legs, connected to ended), else the call's."""
    spans = [
        (leg.connected_at, leg.ended_at)
        for leg in legs
        if extension and leg.kind == LegKind.operator and leg.extension == extension
    ]
    spans = [span for span in spans if all(span)] or [(call.answered_at, call.ended_at)]
    seconds = sum((end - start).total_seconds() for start, end in spans if start and end)
    return round(seconds) if any(start and end for start, end in spans) else None


def _example_out(example, call: Call) -> ExampleOut:
    return ExampleOut.model_validate(example).model_copy(
        update={"operator_id": call.operator_id, "started_at": call.started_at}
    )
