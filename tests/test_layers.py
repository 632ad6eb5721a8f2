"""The shape of the code, read from its imports with ``ast`` (those inside functions and under
``TYPE_CHECKING`` included): vendors stay behind the seam, and the packages of ``app/`` point one
way, from the HTTP edge down to the event outbox (README, "Development")."""

import ast
from pathlib import Path

import pytest

from telephony import registry

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

# The packages of app/, from the bottom up: each may import only those below it.
LAYERS = (
    "events",  # the numbered event outbox every domain publishes to
    "commands",  # the outbox of commands to PBXs, and their rate budgets
    "inbox",  # raw webhooks, stored before they are acknowledged
    "auth",  # users, roles, tokens, websocket tickets
    "contacts",  # clients by phone number
    "calls",  # call records, legs, the call's timeline
    "operators",  # operators and their live state
    "crm",  # pipelines, deals, touches, tasks, ownership
    "queues",  # queues and their members
    "callbacks",  # the callback list
    "dispatch",  # queue entries, offers, routing decisions
    "recordings",  # call recordings, their cache, who may listen, calls marked as examples
    "lists",  # call lists worked by first-line managers: claims, attempts, results
    "flows",  # what a PBX event or an operator's act sets going across the domains
    "realtime",  # live clients: operator panel, supervisor feed
    "pbx",  # webhook intake
    "reconcile",  # reconciliation with the PBXs' call histories
    "reports",  # weekly figures
    "team",  # active sales' monthly plans, pay rules and results per person
    "metrics",  # /metrics: the figures read from the database when scraped
    "api",  # the HTTP API: validate, call one service, shape the answer
    "console",  # the web console's pages: a client of the API, like any other
)
# Modules of app/ itself: the assemblers may import anything; every other one is a foundation
# every package may use, and imports no package.
ASSEMBLERS = {"main", "processing", "cli", "models"}
# What app/ may import from telephony/: the seam (recordings' too), the registry, the shared error; the simulator
# is a tool the CLI runs.
SEAM = ("telephony", "telephony.vendor", "telephony.registry", "telephony.recordings")
TOOLS = ("telephony.simulator",)


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def app_modules() -> list[tuple[str, Path]]:
    return [(".".join(p.relative_to(ROOT).with_suffix("").parts), p) for p in sorted(APP.rglob("*.py"))]


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and (APP / parts[1]).is_dir() else None


def test_app_reaches_vendors_only_through_the_seam():
    wrong = {
        module: sorted(
            name
            for name in imports_of(path)
            if name.startswith("telephony.")
            and not name.startswith(TOOLS)
            and name.rsplit(".", 1)[0] not in SEAM
            and name not in SEAM
        )
        for module, path in app_modules()
    }
    assert {module: names for module, names in wrong.items() if names} == {}


def test_at_most_three_modules_of_app_name_a_vendor():
    """Names and strings only: a docstring or comment may still say which PBX does what."""
    vendors = registry.NAMES

    def names_a_vendor(path: Path) -> bool:
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            words = []
            if isinstance(node, ast.Name):
                words = [node.id]
            elif isinstance(node, ast.Attribute):
                words = [node.attr]
            elif isinstance(node, ast.arg):
                words = [node.arg]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                words = [node.value]
            if any(vendor in word.lower() for word in words for vendor in vendors):
                return True
        return False

    naming = sorted(module for module, path in app_modules() if names_a_vendor(path))
    assert len(naming) <= 3, naming


@pytest.mark.parametrize("module,path", app_modules(), ids=lambda value: str(value))
def test_packages_import_only_the_layers_below(module, path):
    package = package_of(module)
    targets = {package_of(name) or name.split(".")[1] for name in imports_of(path) if name.startswith("app.")}
    if package is None:
        if module.split(".")[-1] in ASSEMBLERS or module == "app.__init__":
            return
        upward = sorted(t for t in targets if t in LAYERS)
    else:
        assert package in LAYERS, f"{package} has no place in LAYERS"
        upward = sorted(t for t in targets if t in LAYERS and LAYERS.index(t) > LAYERS.index(package))
    assert upward == [], f"{module} imports {upward}, above it"
