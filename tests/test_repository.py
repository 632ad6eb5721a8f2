"""The repository is complete by itself: a clone with nothing beside it runs and tests."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path out of the repository into a sibling folder of shared material, however it is spelled.
OUTSIDE = re.compile(
    r"\.\./"
    + "shared"
    + r"|[\"']"
    + "shared"
    + r"[\"']\s*/|/\s*[\"']"
    + "shared"
    + r"[\"']|"
    + "shared"
    + r"/(pbx-samples|reference|design\.md|style\.md)"
)


def test_no_tracked_file_refers_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders, f"these lines read material from outside the repository: {offenders}"


def test_the_samples_the_tests_replay_are_in_the_repository():
    samples = ROOT / "tests" / "samples"
    vendors = sorted(p.name for p in samples.iterdir() if p.is_dir())
    assert vendors == ["mango", "sipuni", "uis", "zadarma"]
    assert all(list((samples / vendor).glob("*.json")) for vendor in vendors)
