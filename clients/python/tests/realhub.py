"""One real hub for the whole Python test run: built with dotnet, started on a free loopback port over
HTTPS with a temporary data directory and a random admin password, stopped at the end.

A missing dotnet or a hub that does not come up raises, so the tests that need it fail (never skip)."""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[3]
PROJECT = REPO / "src" / "LyzerHub.Server"
DLL = PROJECT / "bin" / "Debug" / "net10.0" / "LyzerHub.Server.dll"
START_TIMEOUT = 180


class Hub:
    def __init__(self, url: str, ca_file: str, password: str, process: subprocess.Popen, data_dir: str,
                 log_path: str) -> None:
        self.url = url
        self.ca_file = ca_file
        self.admin_password = password
        self.process = process
        self.data_dir = data_dir
        self.log_path = log_path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(os.path.dirname(self.data_dir), ignore_errors=True)


_lock = threading.Lock()
_hub: Optional[Hub] = None
_failure: Optional[str] = None


def hub() -> Hub:
    """The running hub, started on first use; a failed start is remembered and raised to every caller."""
    global _hub, _failure
    with _lock:
        if _hub is None and _failure is None:
            try:
                _hub = _start()
                atexit.register(stop)
            except Exception as error:  # noqa: BLE001 - reported to every test that needs the hub
                _failure = f"{type(error).__name__}: {error}"
        if _hub is None:
            raise RuntimeError(f"could not start a real hub for the Python tests: {_failure}")
        return _hub


def stop() -> None:
    global _hub
    with _lock:
        if _hub is not None:
            _hub.stop()
            _hub = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")[-2000:]
    except OSError:
        return ""


def _start() -> Hub:
    """Builds and starts the hub; on failure removes what it made and raises with the hub's output."""
    dotnet = os.environ.get("DOTNET") or shutil.which("dotnet")
    if not dotnet:
        raise RuntimeError("dotnet is not on PATH (the Python tests need the .NET 10 SDK to run a real hub)")
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    if os.environ.get("LYZER_TEST_SKIP_BUILD") != "1" or not DLL.exists():
        build = subprocess.run([dotnet, "build", str(PROJECT), "-nologo", "-v", "q"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if build.returncode != 0:
            raise RuntimeError(f"dotnet build failed:\n{build.stdout[-3000:]}")
    # <tmp>/data, so that from <tmp> the hub's certificate is at data/tls/hub.crt as in the README.
    data_dir = os.path.join(tempfile.mkdtemp(prefix="lyzer-pytest-"), "data")
    port = _free_port()
    url = f"https://127.0.0.1:{port}"
    password = secrets.token_urlsafe(24)
    # The password goes in through the environment, so it never shows in the process list.
    env["Hub__Bootstrap__AdminPassword"] = password
    os.makedirs(data_dir)
    log_path = os.path.join(os.path.dirname(data_dir), "hub.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [dotnet, str(DLL), f"--Hub:DataDir={data_dir}", f"--Hub:Urls={url}"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    ca_file = os.path.join(data_dir, "tls", "hub.crt")
    deadline = time.monotonic() + START_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            message = f"the hub exited with {process.returncode}:\n{_tail(log_path)}"
            shutil.rmtree(os.path.dirname(data_dir), ignore_errors=True)
            raise RuntimeError(message)
        if os.path.exists(ca_file):
            try:
                context = ssl.create_default_context(cafile=ca_file)
                with urllib.request.urlopen(url + "/healthz", context=context, timeout=5) as answer:
                    if answer.status == 200:
                        return Hub(url, ca_file, password, process, data_dir, log_path)
            except (OSError, ssl.SSLError) as error:
                last_error = str(error)
        time.sleep(0.25)
    process.kill()
    process.wait()
    message = f"the hub did not answer /healthz within {START_TIMEOUT} s ({last_error}):\n{_tail(log_path)}"
    shutil.rmtree(os.path.dirname(data_dir), ignore_errors=True)
    raise RuntimeError(message)
