"""Every package's periodic jobs are scheduled when the app starts, each on its configured interval."""

from tests.support.app import running


async def test_the_app_runs_every_packages_jobs(settings):
    async with running(settings) as cf:
        jobs = {job.id: job.trigger.interval.total_seconds() for job in cf.app.state.scheduler.get_jobs()}
    assert jobs == {
        "end-expired-sign-ins": 60,
        "finalize-stale-calls": settings.sweep_interval_seconds,
        "dispatch-tick": settings.dispatch_interval_seconds,
        "realtime-tick": settings.realtime_interval_seconds,
        "panel-refresh": settings.panel_refresh_seconds,
        "event-retention": 3600,
        "inbox-retention": 3600,
        "offer-retention": 3600,
        "sign-in-retention": 3600,
        "funnel-tick": settings.funnel_interval_seconds,
        "call-rollups": 5,
        "recording-cache": 300,
        "dial-confirmations": 5,
        "playback-retention": 3600,
        "reconciliation": settings.reconcile_check_seconds,  # (MANGO's key and salt are set: its history is read)
    }


async def test_without_a_pbx_history_to_read_there_is_no_reconciliation_job(settings):
    async with running(settings.model_copy(update={"mango_api_key": "", "mango_api_salt": ""})) as cf:
        assert "reconciliation" not in {job.id for job in cf.app.state.scheduler.get_jobs()}
