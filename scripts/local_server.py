"""A `precis serve` subprocess for benchmarks, screenshots and tests: a port for it, and waiting until it is ready."""

import socket
import subprocess
import time
from typing import IO, Any

import httpx

# Model loading on two busy cores can take a minute or more.
READY_TIMEOUT_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: IO[bytes] | None) -> str:
    if log is None:
        return ""
    log.seek(0)
    return ":\n" + log.read().decode(errors="replace")[-3000:]


def wait_until_ready(
    base_url: str,
    process: subprocess.Popen[Any],
    log: IO[bytes] | None = None,
    timeout_seconds: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Returns once `GET /readyz` answers 200; raises, with the end of the server's `log`, when it exits or is late.

    Watching the process as well saves waiting out the timeout for a server that failed to start."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"precis serve exited with status {process.returncode}{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.25)
    raise TimeoutError(f"precis serve was not ready within {timeout_seconds:.0f} s{_tail(log)}")
