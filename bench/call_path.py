"""How far one call travels through the code: a Zadarma ``NOTIFY_START`` from the webhook to the
offer frame on the operator's panel.

Runs callfunnel under uvicorn on a loopback port (SQLite in a temporary folder), one operator in
a ``sync`` queue with the panel open, posts one signed ``NOTIFY_START`` and records every Python
call into the project's files (``app/``, ``telephony/``, ``routing/``, ``schemas/``), in every
thread, until the offer frame arrives.  Prints the files crossed and how many times the path
came back to a file it had already left — the figure a reader feels when following a call.

    .venv/bin/python bench/call_path.py [--show]
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.server import free_port  # noqa: E402

SECRET = "call-path-secret"
LINE, CALLER, START = "74951234567", "79001234567", "2025-06-15 18:06:40"
PACKAGES = tuple(str(ROOT / name) + os.sep for name in ("app", "telephony", "routing", "schemas"))
# Helpers any line may touch (the clock and column types, the log filter, field readers): a step
# into them and back is not a step of the call's path.  ``--all`` counts them too.
HELPERS = tuple(str(ROOT / name) for name in ("app/database.py", "app/redaction.py", "telephony/fields.py"))


class Recorder:
    """The project files entered, in the order calls were made (the GIL orders them across threads)."""

    def __init__(self, *, helpers: bool) -> None:
        self.on = False
        self.files: list[str] = []
        self.skipped = () if helpers else HELPERS

    def __call__(self, frame, event, arg) -> None:
        if self.on and event == "call":
            name = frame.f_code.co_filename
            if name.startswith(PACKAGES) and name not in self.skipped and (not self.files or self.files[-1] != name):
                self.files.append(name)


_CLI = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from app.cli import main; main()"  # this checkout's CLI


def cli_token(database_url: str, *args: str) -> str:
    env = dict(os.environ, CALLFUNNEL_DATABASE_URL=database_url)
    done = subprocess.run(
        [sys.executable, "-c", _CLI, "user", "add", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout.strip().splitlines()[-1]


def signed_start() -> tuple[dict, dict]:
    form = {"event": "NOTIFY_START", "call_start": START, "pbx_call_id": "in_path_1", "caller_id": CALLER}
    form["called_did"] = LINE
    digest = hmac.new(SECRET.encode(), (CALLER + LINE + START).encode(), hashlib.sha1).hexdigest()
    return form, {"Signature": base64.b64encode(digest.encode()).decode()}


async def follow(database_url: str, recorder: Recorder) -> list[str]:
    admin = {"Authorization": f"Bearer {cli_token(database_url, 'admin', '--role', 'admin')}"}
    operator_token = cli_token(database_url, "olga", "--role", "operator", "--extension", "101")
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        zadarma_secret=SECRET,
        webhook_max_age_days=36500,
        inbox_retention_days=36600,
        sweep_interval_seconds=3600,
        dispatch_interval_seconds=3600,
        realtime_interval_seconds=3600,
        funnel_interval_seconds=3600,
        reconcile_check_seconds=3600,
        pbx_command_poll_seconds=0,  # no PBX API here: its sender's polling is not the call's path
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            operator = {"Authorization": f"Bearer {operator_token}"}
            me = next(o for o in (await http.get("/api/operators", headers=admin)).json() if o["name"] == "olga")
            queue = await http.post("/api/queues", json={"name": "sales", "numbers": [f"+{LINE}"]}, headers=admin)
            members = [{"operator_id": me["id"], "position": 0}]
            await http.put(f"/api/queues/{queue.json()['id']}/members", json=members, headers=admin)
            async with connect(f"ws://127.0.0.1:{port}/ws/operator?token={operator_token}") as panel:
                await http.post("/api/operators/me/state", json={"state": "available"}, headers=operator)
                await asyncio.sleep(0.5)  # the panel's opening frames
                form, headers = signed_start()
                recorder.on = True
                reply = await http.post("/pbx/zadarma", data=form, headers=headers)
                async with asyncio.timeout(10):
                    while json.loads(await panel.recv())["type"] != "offer":
                        pass
                recorder.on = False
                print(f"reply to NOTIFY_START: {reply.text}")
    finally:
        server.should_exit = True
        await task
    return recorder.files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", action="store_true", help="print the path, file by file")
    parser.add_argument("--all", action="store_true", help="count the shared helpers' files too")
    options = parser.parse_args()
    recorder = Recorder(helpers=options.all)
    threading.setprofile(recorder)
    sys.setprofile(recorder)
    with tempfile.TemporaryDirectory() as folder:
        path = asyncio.run(follow(f"sqlite+aiosqlite:///{folder}/path.db", recorder))
    sys.setprofile(None)
    seen: set[str] = set()
    returns = 0
    for name in path:
        returns += name in seen
        seen.add(name)
    if options.show:
        print("\n".join(str(Path(name).relative_to(ROOT)) for name in path))
    print(f"files crossed: {len(seen)}; returns to a file already left: {returns}; steps: {len(path)}")


if __name__ == "__main__":
    main()
