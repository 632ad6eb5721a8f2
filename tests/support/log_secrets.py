"""No secret in any log line of a test run: the PBX secrets and passwords the tests configure, and
every token, ticket and password callfunnel generates in this process (``secrets.token_urlsafe``
is watched from the start of the run), searched for in everything a test wrote to stdout, stderr
and the logging capture — uvicorn's access lines included — and in the live servers' log files."""

import re
import secrets
from pathlib import Path

from tests.support.app import GENERIC_SECRET, MANGO_KEY, MANGO_SALT, SIPUNI_SECRET, UIS_SECRET, ZADARMA_SECRET
from tests.support.floor import PASSWORD
from tests.support.history import ZADARMA_KEY

CONFIGURED = (MANGO_KEY, MANGO_SALT, GENERIC_SECRET, ZADARMA_SECRET, ZADARMA_KEY, SIPUNI_SECRET, UIS_SECRET, PASSWORD)
_TOKEN_SHAPED = re.compile(r"[A-Za-z0-9_-]{16,}")


class Watch:
    def __init__(self) -> None:
        self.generated: set[str] = set()
        self._token_urlsafe = secrets.token_urlsafe

    def start(self) -> None:
        def token_urlsafe(nbytes: int | None = None) -> str:
            token = self._token_urlsafe(nbytes)
            self.generated.add(token)
            return token

        secrets.token_urlsafe = token_urlsafe

    def stop(self) -> None:
        secrets.token_urlsafe = self._token_urlsafe

    def found_in(self, text: str) -> list[str]:
        """The lines of ``text`` that carry a secret (the secret itself elided in the answer)."""
        if not text:
            return []
        leaks = []
        for line in text.splitlines():
            named = [s for s in CONFIGURED if s in line]
            made = [word for word in _TOKEN_SHAPED.findall(line) if word in self.generated]
            if named or made:
                for secret in named + made:
                    line = line.replace(secret, f"<{secret[:4]}… elided>")
                leaks.append(line[:300])
        return leaks

    def found_in_files(self, root: Path) -> list[str]:
        leaks = []
        for path in sorted(root.rglob("*.log")):
            leaks += [f"{path.name}: {line}" for line in self.found_in(path.read_text(errors="replace"))]
        return leaks
