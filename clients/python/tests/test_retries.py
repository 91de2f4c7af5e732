"""Retry and refusal logic against a tiny local HTTP stub on loopback (no hub needed)."""

from __future__ import annotations

import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Tuple

from lyzer_hub_client import Client, KeyManager, LyzerHubError

Reply = Tuple[int, dict, dict]  # status, headers, JSON body


class Stub:
    """Answers each request with the next scripted reply; records (method, path, authorization)."""

    def __init__(self, replies: List[Reply]) -> None:
        self.replies = list(replies)
        self.requests: List[Tuple[str, str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.requests.append((self.command, self.path, self.headers.get("Authorization") or ""))
                status, headers, body = stub.replies.pop(0) if stub.replies else (500, {}, {"code": "script_ended"})
                raw = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def problem(status: int, code: str) -> dict:
    return {"type": f"/problems/{code}", "title": code, "status": status, "detail": f"{code} here", "code": code}


def login(key: str) -> Reply:
    return 200, {}, {"key": key, "type": "bearer", "expires_in_seconds": 3600, "key_id": "key_1"}


class RetryTests(unittest.TestCase):
    def stub(self, *replies: Reply) -> Stub:
        stub = Stub(list(replies))
        self.addCleanup(stub.close)
        return stub

    def test_429_waits_retry_after_then_succeeds(self) -> None:
        stub = self.stub((429, {"Retry-After": "1"}, problem(429, "rate_limited")), (200, {}, {"ok": True}))
        started = time.monotonic()
        self.assertEqual(Client(stub.url, key="lyz_test").whoami(), {"ok": True})
        self.assertGreaterEqual(time.monotonic() - started, 1.0)
        self.assertEqual(len(stub.requests), 2)

    def test_503_retries_are_bounded(self) -> None:
        overloaded = (503, {"Retry-After": "0"}, problem(503, "overloaded"))
        stub = self.stub(*[overloaded] * 10)
        with self.assertRaises(LyzerHubError) as caught:
            Client(stub.url, key="lyz_test", max_retries=2).whoami()
        self.assertEqual((caught.exception.status, caught.exception.code), (503, "overloaded"))
        self.assertTrue(caught.exception.retryable)
        self.assertEqual(len(stub.requests), 3)

    def test_a_wait_past_the_cap_is_raised_not_slept(self) -> None:
        stub = self.stub((429, {"Retry-After": "900"}, problem(429, "rate_limited")))
        with self.assertRaises(LyzerHubError) as caught:
            Client(stub.url, key="lyz_test").whoami()
        self.assertEqual((caught.exception.retry_after, caught.exception.retryable), (900.0, True))
        self.assertEqual(len(stub.requests), 1)

    def test_401_with_a_fixed_key_is_not_retried(self) -> None:
        stub = self.stub((401, {}, problem(401, "invalid_key")))
        with self.assertRaises(LyzerHubError) as caught:
            Client(stub.url, key="lyz_test").whoami()
        self.assertEqual(caught.exception.code, "invalid_key")
        self.assertEqual(len(stub.requests), 1)

    def test_401_with_a_key_manager_refreshes_once_and_never_loops(self) -> None:
        stub = self.stub(
            login("lyz_one"), (401, {}, problem(401, "invalid_key")),
            login("lyz_two"), (401, {}, problem(401, "invalid_key")),
            login("lyz_three"), (200, {}, {"ok": True}),
        )
        hub = Client(stub.url, key_manager=KeyManager(stub.url, "u", "p"))
        with self.assertRaises(LyzerHubError) as caught:
            hub.whoami()
        self.assertEqual(caught.exception.status, 401)
        self.assertEqual(
            [(m, p, a) for m, p, a in stub.requests],
            [("POST", "/v1/auth/key", ""), ("GET", "/v1/auth/whoami", "Bearer lyz_one"),
             ("POST", "/v1/auth/key", ""), ("GET", "/v1/auth/whoami", "Bearer lyz_two")],
        )

    def test_plain_http_is_refused_except_to_loopback(self) -> None:
        for url in ("http://hub.example.com", "http://10.0.0.5:5443", "ftp://127.0.0.1", "hub.example.com"):
            with self.assertRaises(ValueError) as caught:
                Client(url, key="lyz_test")
            self.assertIn("https", str(caught.exception))
        with self.assertRaises(ValueError):
            KeyManager("http://hub.example.com", "u", "p")
        for url in ("http://127.0.0.1:5443", "http://localhost:1", "http://[::1]:5443", "https://hub.example.com"):
            Client(url, key="lyz_test")

    def test_exactly_one_of_key_and_key_manager(self) -> None:
        with self.assertRaises(ValueError):
            Client("https://hub.example.com")
        with self.assertRaises(ValueError):
            Client("https://hub.example.com", key="lyz_x", key_manager=KeyManager("https://hub.example.com", "u", "p"))

    def test_naive_timestamps_are_refused(self) -> None:
        from datetime import datetime

        with self.assertRaises(ValueError):
            Client("https://hub.example.com", key="lyz_x").track("e", timestamp=datetime(2026, 1, 1))
