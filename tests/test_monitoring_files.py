"""The Grafana dashboard and the Prometheus alert rules in ``deploy/`` watch what callfunnel
exports — every name they use is in a real scrape — and ``promtool`` passes the rules and their
unit tests (alerts fire when they should, stay quiet out of hours)."""

import json
import re
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.auth.models import Role
from tests.live_server import ROOT
from tests.support.app import running

DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "callfunnel-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "callfunnel-dashboard.json"
TOKEN = "scrape-token-for-the-files-test"
# The names the operations issue made a contract.
CONTRACT = {
    "callfunnel_webhooks_total",
    "callfunnel_webhook_duration_seconds_bucket",
    "callfunnel_inbox_backlog",
    "callfunnel_inbox_oldest_age_seconds",
    "callfunnel_processing_lag_seconds_bucket",
    "callfunnel_calls_total",
    "callfunnel_offers_total",
    "callfunnel_queue_waiting",
    "callfunnel_queue_longest_wait_seconds",
    "callfunnel_operators",
    "callfunnel_callbacks_open",
    "callfunnel_callbacks_overdue",
    "callfunnel_websockets",
    "callfunnel_pbx_commands_total",
    "callfunnel_reconcile_last_success_timestamp_seconds",
    "callfunnel_db_retries_total",
}
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


@pytest.fixture
async def exported(settings) -> set[str]:
    """Every series name a scrape of a fresh callfunnel (with one queue) can carry."""
    async with running(settings.model_copy(update={"metrics_token": TOKEN})) as cf:
        supervisor = await cf.user("sup", Role.supervisor)
        queue = {"name": "sales", "numbers": ["+74951234567"]}
        assert (await cf.http.post("/api/queues", json=queue, headers=supervisor["headers"])).status_code == 201
        text = (await cf.http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    return {
        family.name + suffix
        for family in text_string_to_metric_families(text)
        for suffix in _SUFFIXES.get(family.type, ("",))
    }


def names_in(text: str) -> set[str]:
    return set(re.findall(r"\bcallfunnel_[a-z_]+\b", text))


def test_callfunnel_exports_the_contracted_names(exported):
    assert CONTRACT - exported == set()


def test_the_dashboard_and_the_rules_use_only_what_callfunnel_exports(exported):
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] if panel["type"] != "row" for target in panel["targets"]
    ]
    used_by_dashboard = names_in("\n".join(expressions))
    used_by_rules = names_in(RULES.read_text())
    assert used_by_dashboard - exported == set() and used_by_rules - exported == set()
    # What the issue asked the dashboard to show, and the alerts to watch.
    assert {"callfunnel_webhooks_total", "callfunnel_processing_lag_seconds_bucket"} <= used_by_dashboard
    assert {"callfunnel_queue_waiting", "callfunnel_queue_service_level_ratio"} <= used_by_dashboard
    assert {"callfunnel_operators", "callfunnel_callbacks_open", "callfunnel_callbacks_overdue"} <= used_by_dashboard
    assert {
        "callfunnel_webhooks_total",
        "callfunnel_inbox_oldest_age_seconds",
        "callfunnel_reconcile_last_success_timestamp_seconds",
        "callfunnel_callbacks_overdue",
    } <= used_by_rules


def test_promtool_passes_the_rules_and_their_tests():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: scripts/install-test-tools.sh installs Debian's prometheus package"
    checked = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = DEPLOY / "prometheus" / "callfunnel-alerts.test.yml"
    tested = subprocess.run([promtool, "test", "rules", tests.name], cwd=tests.parent, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
