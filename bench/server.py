"""Starting an app under uvicorn on a loopback port, for the benchmarks."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    app: str, port: int, env: dict, *, workers: int = 1, access_log: bool = False, output: IO | None = None
) -> subprocess.Popen:
    """``access_log``: uvicorn logs at info with its access lines (as deployed), into ``output``."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--timeout-keep-alive",
            "75",
            "--ws-per-message-deflate",  # as `callfunnel serve` runs it
            "false",
            *(["--log-level", "info"] if access_log else ["--log-level", "warning", "--no-access-log"]),
            *(["--workers", str(workers)] if workers > 1 else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app} did not start")


def start_processor(env: dict) -> subprocess.Popen:
    """``callfunnel process`` beside a server started with ``CALLFUNNEL_PROCESSING=separate`` in ``env``."""
    return subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "process"], cwd=ROOT, env=env)


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """The resident memory of the process and its children (uvicorn's workers)."""
    total = float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total = int(line.split()[1]) / 1024
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else ():
        total += rss_mib(int(child))
    return total


def cli(env: dict, *args: str) -> str:
    command = [str(Path(sys.executable).parent / "callfunnel"), *args]
    return (
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
