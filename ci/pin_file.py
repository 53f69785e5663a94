"""Print the pin file for ``make setup``: ``ci/requirements.txt``, or a copy without the
index lines whose host does not resolve.

    python -m ci.pin_file            # prints the path pip should read

``ci/requirements.txt`` names PyTorch's CPU index (``--extra-index-url``), and pip asks
every index about every package. Where that host cannot be resolved at all (an offline
mirror, a machine that reaches only a package registry), pip's answer is the same
without the line, but each of some hundred packages first costs a failed connection
and its retry (38 s of an 89 s install on our CI machine). So the copy leaves out
exactly those lines and changes nothing else; pip then installs the same pins from the
indexes it can reach, or fails the same way it would have.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PIN = ROOT / "ci" / "requirements.txt"
OUT = ROOT / "build" / "requirements-reachable.txt"
INDEX_OPTIONS = ("--extra-index-url", "--index-url", "-i")
LOOKUP_SECONDS = 3.0


def resolves(host: str, timeout: float = LOOKUP_SECONDS) -> bool:
    """True when ``host`` has an address (looked up in a thread, for ``timeout`` s)."""
    found: list[bool] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, 443)
            found.append(True)
        except OSError:
            found.append(False)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(found and found[0])


def index_host(line: str) -> str | None:
    """The host of an index option line (``--extra-index-url URL``), else ``None``."""
    parts = line.replace("=", " ", 1).split()
    if len(parts) == 2 and parts[0] in INDEX_OPTIONS:
        return urlsplit(parts[1]).hostname
    return None


def pin_file(pin: Path = PIN, out: Path = OUT, check=resolves) -> Path:
    """Return ``pin``, or ``out`` (written) if an index host in it does not resolve."""
    lines = pin.read_text().splitlines(keepends=True)
    dropped = [line for line in lines if (host := index_host(line)) and not check(host)]
    if not dropped:
        return pin
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(line for line in lines if line not in dropped))
    for line in dropped:
        print(f"pin_file: {index_host(line)} does not resolve; pip reads {out.name} "
              "without that index", file=sys.stderr)
    return out


if __name__ == "__main__":
    print(pin_file().relative_to(ROOT))
