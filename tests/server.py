"""A real `precis serve` in a subprocess and Debian's Chromium: for the tests, the benchmark and the screenshots.

Chromium is never `playwright install`ed: downloading a browser build fails without internet, and the
distribution's browser gets security updates from apt."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"
# Model loading on two busy cores can take a minute or more.
READY_TIMEOUT_SECONDS = 180.0
# How often a starting server is asked whether it is ready: ready_seconds is late by up to this much.
POLL_SECONDS = 0.05
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: CI runs as root in a container. The rest keeps Chromium from phoning home, which would only hang
# or fail without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return ":\n" + log.read().decode(errors="replace")[-3000:]


def wait_until_ready(
    base_url: str,
    process: subprocess.Popen[Any],
    log: IO[bytes],
    client: httpx.Client,
    timeout_seconds: float = READY_TIMEOUT_SECONDS,
) -> None:
    """Returns once `GET /readyz` answers 200; raises, with the end of the server's `log`, when it exits or is late.

    Watching the process as well saves waiting out the timeout for a server that failed to start. The `client` is
    made before the launch: making one (its TLS context) took 20-80 ms of a core, which asking with a new one each
    time spent again on every try, beside the starting server, and the launch figure counted."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"precis serve exited with status {process.returncode}{_tail(log)}")
        try:
            if client.get(f"{base_url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"precis serve was not ready within {timeout_seconds:.0f} s{_tail(log)}")


@dataclass(frozen=True)
class Server:
    url: str
    # An API key made with `precis keys create`, for the writes.
    key: str
    pid: int
    # From launching `precis serve` to its /readyz answering 200.
    ready_seconds: float

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@contextmanager
def running_server(database_url: str, workers: int = 1, **env: str) -> Iterator[Server]:
    """A real `precis serve` on a free port, until the block ends, with an API key. `env`: more PRECIS_*."""
    port = free_port()
    environment = (
        os.environ
        | {
            "PRECIS_DATABASE_URL": database_url,
            "PRECIS_LOG_LEVEL": "warning",
            # This checkout's code, whatever an installed copy points at.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        | env
    )
    precis = [sys.executable, "-m", "service.cli"]
    command = [*precis, "serve", "--port", str(port), "--workers", str(workers)]
    with (
        tempfile.TemporaryDirectory() as workdir,
        tempfile.TemporaryFile() as log,
        httpx.Client(timeout=2) as client,
    ):
        # Run from an empty directory so that no developer's .env changes the settings.
        created = subprocess.run(
            [*precis, "keys", "create", f"server-{port}"], cwd=workdir, env=environment, capture_output=True, text=True
        )
        if created.returncode:
            raise RuntimeError(f"precis keys create failed: {created.stderr}")
        launched = time.perf_counter()
        process = subprocess.Popen(command, cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_ready(base_url, process, log, client)
            ready = time.perf_counter() - launched
            yield Server(base_url, created.stdout.strip(), process.pid, ready)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def store_article(server: Server, name: str, **fields: str) -> int:
    """Stores tests/data/<name>.txt (headline on the first line) through the API; returns its id."""
    title, _, text = (TEST_DATA / f"{name}.txt").read_text(encoding="utf-8").partition("\n")
    article = {"title": title.strip(), "text": text.strip(), **fields}
    response = httpx.post(f"{server.url}/v1/articles", json=article, headers=server.auth, timeout=60)
    response.raise_for_status()
    return int(response.json()["id"])


def launch_chromium(playwright: "Playwright") -> "Browser":
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
