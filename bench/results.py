"""Benchmark figures, printed as they are measured and collected for ``make bench``'s one table.

Each script calls ``record(what, figure, goal, measured)``; with ``CALLFUNNEL_BENCH_RESULTS`` set
(``make bench`` sets it) the row is also appended to that file, and ``bench/table.py`` prints them all.
"""

import json
import os


def record(what: str, figure: str, goal: str, measured: str) -> None:
    print(f"  {what}: {figure} = {measured} (goal: {goal})", flush=True)
    path = os.environ.get("CALLFUNNEL_BENCH_RESULTS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"what": what, "figure": figure, "goal": goal, "measured": measured}) + "\n")
