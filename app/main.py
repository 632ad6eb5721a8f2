"""The FastAPI application: start-up (migrations, inbox, scheduler) and routers."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from app import garbage_collection, instruments, openapi
from app.api.activity import router as activity_router
from app.api.auth import router as sign_in_router
from app.api.callbacks import router as callbacks_router
from app.api.calls import router as calls_router
from app.api.contacts import router as contacts_router
from app.api.do_not_call import router as do_not_call_router
from app.api.funnel import router as crm_router
from app.api.health import router as health_router
from app.api.lists import router as lists_router
from app.api.metrics import router as metrics_router
from app.api.offers import router as dispatch_router
from app.api.operators import router as operators_router
from app.api.queues import router as queues_router
from app.api.reconciliation import router as reconcile_router
from app.api.recordings import router as recordings_router
from app.api.reports import router as reports_router
from app.api.reviews import router as reviews_router
from app.api.team import router as team_router
from app.api.tickets import router as auth_router
from app.auth import scheduled as auth_scheduled
from app.auth.first_run import create_first_admin
from app.console import pages as console
from app.crm import scheduled as crm_scheduled
from app.database import Database
from app.dispatch import scheduled as dispatch_scheduled
from app.dispatch.decision_hint import DecisionHint
from app.errors import install_error_handler, install_outage_handler
from app.flows import call_events
from app.flows import scheduled as flows_scheduled
from app.flows.command_sender import CommandSender
from app.inbox import retention as inbox_retention
from app.inbox.processor import InboxProcessor
from app.inbox.readings import Readings
from app.inbox.writer import InboxWriter
from app.input_guard import InputGuard
from app.jobs import scheduler_for
from app.lists import scheduled as lists_scheduled
from app.log_format import configure_logging
from app.metrics import exposition
from app.migrations import upgrade_to_head_async
from app.pbx.events import inbox_handler
from app.pbx.routed import RoutingDecisions
from app.pbx.webhooks import add_webhook_routes
from app.processing import DRAIN_SECONDS, drain
from app.realtime import scheduled as realtime_scheduled
from app.realtime.bus import EventBus
from app.realtime.operator_panel import router as operator_panel_router
from app.realtime.supervisor_feed import router as supervisor_feed_router
from app.reconcile.runner import Reconciler
from app.recordings import scheduled as recordings_scheduled
from app.recordings.cache import RecordingCache
from app.reports import scheduled as reports_scheduled
from app.request_ids import RequestIds
from app.security_headers import SecurityHeaders
from app.settings import Settings, get_settings
from telephony import registry

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, pbx_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The app; ``pbx_transport`` replaces the network under the PBX API clients (tests' fake PBXs)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    instruments.enable(settings.metrics_enabled)
    vendors = registry.vendors(settings)
    recordings = settings.recordings_enabled

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await upgrade_to_head_async(settings.database_url)
        db = Database(settings.database_url)
        await create_first_admin(db, settings)
        policy = call_events.CallPolicy.from_settings(settings)
        in_process = settings.processing == "in_process"
        app.state.readings = readings = Readings(keep=Readings.KEEP if in_process else 0)
        # With PROCESSING=separate, ``callfunnel process`` processes and keeps the rollups (app/processing.py).
        processor = InboxProcessor(db, inbox_handler(policy, vendors, readings)) if in_process else None
        app.state.settings, app.state.db, app.state.inbox_processor = settings, db, processor
        app.state.vendors = vendors
        app.state.call_policy = policy
        app.state.inbox_writer = InboxWriter(db, on_stored=processor.wake) if processor else InboxWriter(db)
        app.state.routing_decisions = RoutingDecisions(db)
        app.state.decision_hint = DecisionHint(region=policy.region)
        app.state.command_sender = CommandSender(
            db, vendors, transport=pbx_transport, poll_seconds=settings.pbx_command_poll_seconds
        )
        app.state.reconciler = reconciler = Reconciler(db, settings, vendors, transport=pbx_transport)
        app.state.recording_cache = recording_cache = RecordingCache(db, settings, vendors, transport=pbx_transport)
        app.state.playbacks_logged = set()
        app.state.process_id = str(uuid.uuid4())
        app.state.event_bus = bus = EventBus(db, poll_seconds=settings.event_poll_seconds)
        await bus.start()
        background = [asyncio.create_task(processor.run(), name="inbox-processor")] if processor else []
        if settings.pbx_command_poll_seconds:
            background.append(asyncio.create_task(app.state.command_sender.run(), name="pbx-command-sender"))
        scheduler = scheduler_for(
            [
                *auth_scheduled.jobs(db=db, settings=settings),
                *inbox_retention.jobs(db=db, settings=settings),
                *flows_scheduled.jobs(db=db, settings=settings, policy=policy),
                *dispatch_scheduled.jobs(db=db, settings=settings),
                *realtime_scheduled.jobs(db=db, settings=settings, process_id=app.state.process_id),
                *crm_scheduled.jobs(db=db, settings=settings),
                *(reports_scheduled.jobs(db=db, settings=settings) if processor else ()),
                *lists_scheduled.jobs(db=db, settings=settings),
                *reconciler.jobs(),
                *(recordings_scheduled.jobs(db=db, settings=settings, cache=recording_cache) if recordings else ()),
            ]
        )
        scheduler.start()
        app.state.scheduler = scheduler
        log.info("callfunnel started on %s", db.engine.url.render_as_string(hide_password=True))
        for vendor in vendors.values():
            for warning in vendor.start_warnings():
                log.warning("%s", warning)
        garbage_collection.tune_for_serving()
        try:
            yield
        finally:
            # Requests and sockets are done (uvicorn waited SHUTDOWN_SECONDS for them): jobs under
            # way finish, webhooks being stored are committed, what is stored is processed.
            await scheduler.stop(seconds=DRAIN_SECONDS)
            await app.state.routing_decisions.close()
            await app.state.inbox_writer.close()
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if processor is not None:
                await drain(processor)
            await app.state.command_sender.close()
            await reconciler.close()
            await recording_cache.close()
            await bus.stop()
            await db.dispose()
            exposition.forget_this_process()

    telemetry = {"tracing": settings.opentelemetry, "metrics": settings.opentelemetry, "logs": settings.opentelemetry}
    app = FastAPI(
        title="callfunnel",
        version="0.1.0",
        lifespan=lifespan,
        telemetry=telemetry,
        description="Telephony-integrated call-center backend: PBX webhooks, calls, contacts, callbacks.",
    )
    install_error_handler(app)
    install_outage_handler(app)
    openapi.install(app)
    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestIds)
    add_webhook_routes(app, vendors)
    app.include_router(auth_router)
    app.include_router(sign_in_router)
    app.include_router(operators_router)
    app.include_router(queues_router)
    app.include_router(dispatch_router)
    app.include_router(calls_router)
    app.include_router(contacts_router)
    app.include_router(do_not_call_router)
    app.include_router(lists_router)
    app.include_router(callbacks_router)
    app.include_router(crm_router)
    app.include_router(activity_router)
    app.include_router(reports_router)
    app.include_router(team_router)
    app.include_router(reconcile_router)
    if recordings:
        app.include_router(recordings_router)
        app.include_router(reviews_router)
    app.include_router(operator_panel_router)
    app.include_router(supervisor_feed_router)

    app.include_router(health_router)
    app.include_router(metrics_router)
    console.install(app)
    return app


app = create_app()
