"""The client against a real hub over HTTPS, trusting exactly the certificate the hub generated."""

from __future__ import annotations

import os
import threading
import time
import unittest
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, List
from unittest import mock

from lyzer_hub_client import Client, KeyManager, LyzerHubError
from lyzer_hub_client import keys as keys_module

from . import realhub

THREADS = 20


class Gate:
    """Counts calls of a KeyManager's login; a login waits until every thread has asked for a key,
    so all of them are really in get_key() while it is in flight."""

    def __init__(self, manager: KeyManager, threads: int) -> None:
        self.manager = manager
        self.logins = 0
        self._asked = threading.Semaphore(0)
        self._threads = threads
        self._real_login = manager._login

    def login(self):
        self.logins += 1
        for _ in range(self._threads):
            self._asked.acquire(timeout=10)
        return self._real_login()

    def run(self, call: Callable[[], object]) -> List[object]:
        """Runs ``call`` in ``threads`` threads at once; returns each one's result or exception."""
        results: List[object] = [None] * self._threads
        start = threading.Barrier(self._threads)

        def worker(index: int) -> None:
            start.wait()
            self._asked.release()
            try:
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - the test inspects it
                results[index] = error

        with mock.patch.object(self.manager, "_login", self.login):
            workers = [threading.Thread(target=worker, args=(i,)) for i in range(self._threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
        return results


class RealHubTests(unittest.TestCase):
    def setUp(self) -> None:
        # Raises, so each test counts as failed, when dotnet is missing or the hub does not start.
        self.hub = realhub.hub()
        self.now = datetime.now(timezone.utc)

    def manager(self, **kwargs) -> KeyManager:
        kwargs.setdefault("password", self.hub.admin_password)
        kwargs.setdefault("username", "admin")
        return KeyManager(self.hub.url, ca_file=self.hub.ca_file, **kwargs)

    def count_logins(self, manager: KeyManager) -> List[int]:
        calls = [0]
        real = manager._login

        def counting():
            calls[0] += 1
            return real()

        patcher = mock.patch.object(manager, "_login", counting)
        patcher.start()
        self.addCleanup(patcher.stop)
        return calls

    def test_whole_flow(self) -> None:
        hub = Client(self.hub.url, key_manager=self.manager())
        name = f"purchase_{uuid.uuid4().hex[:8]}"
        first = hub.track(name, distinct_id="u1", properties={"amount": 10, "plan": "pro"}, id="order-" + name)
        self.assertEqual((first["accepted"], first["duplicates"]), (1, 0))
        again = hub.track(name, distinct_id="u1", properties={"amount": 10, "plan": "pro"}, id="order-" + name)
        self.assertEqual((again["accepted"], again["duplicates"]), (0, 1))
        self.assertEqual(again["results"][0]["status"], "duplicate")
        batch = hub.send_batch([
            {"name": name, "distinct_id": "u2", "properties": {"amount": 5}, "timestamp": self.now},
            {"name": name, "distinct_id": "u1", "properties": {"amount": 2.5}},
        ])
        self.assertEqual(batch["accepted"], 2)
        self.assertTrue(all(r["id"] for r in batch["results"]), "every event got an id before sending")

        window = {"from_": self.now - timedelta(hours=1), "to": (self.now + timedelta(hours=1)).isoformat()}
        count = hub.query(name, **window)
        self.assertEqual(count["series"][0]["total"], 3)
        total = hub.query(name, "sum", "amount", **window)
        self.assertEqual(total["series"][0]["total"], 17.5)
        unique = hub.query(name, "unique", **window)
        self.assertEqual(unique["series"][0]["total"], 2)
        by_plan = hub.query(name, breakdown="plan", limit=5, interval="hour", timezone="America/New_York", **window)
        self.assertEqual({s["key"]: s["total"] for s in by_plan["series"]}, {"pro": 1, None: 2})

        me = hub.whoami()
        self.assertEqual(me["user"]["username"], "admin")

        # A fixed key: revoking it makes the next call a 401 invalid_key, with no retry to hide it.
        fixed = Client(self.hub.url, key=self.manager().get_key(), ca_file=self.hub.ca_file)
        self.assertEqual(fixed.whoami()["tenant"]["slug"], "default")
        self.assertEqual(fixed.revoke(), {"revoked": True})
        with self.assertRaises(LyzerHubError) as caught:
            fixed.whoami()
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "invalid_key"))
        self.assertFalse(caught.exception.retryable)

    def test_twenty_threads_in_the_refresh_window_cause_one_login(self) -> None:
        manager = self.manager()
        gate = Gate(manager, THREADS)
        first = gate.run(manager.get_key)
        self.assertEqual(gate.logins, 1)
        self.assertEqual(len(set(first)), 1, "every thread got the same key")
        self.assertTrue(all(isinstance(k, str) for k in first), [type(k).__name__ for k in first])

        # 30 s before expiry (margin 60 s): every thread sees the key due for renewal at once.
        real = time.monotonic
        with mock.patch.object(keys_module, "_monotonic", lambda: real() + 3600 - 30):
            second = gate.run(manager.get_key)
        self.assertEqual(gate.logins, 2)
        self.assertEqual(len(set(second)), 1, "every thread got the same new key")
        self.assertTrue(second[0] != first[0], "the key was renewed")

    def test_revoked_key_is_refreshed_once_then_the_call_succeeds(self) -> None:
        manager = self.manager()
        hub = Client(self.hub.url, key_manager=manager)
        old_id = hub.whoami()["key"]["id"]
        Client(self.hub.url, key=manager.get_key(), ca_file=self.hub.ca_file).revoke()
        logins = self.count_logins(manager)
        me = hub.whoami()
        self.assertEqual(logins[0], 1)
        self.assertNotEqual(me["key"]["id"], old_id)

    def test_revoking_own_key_through_the_manager_logs_in_again(self) -> None:
        manager = self.manager()
        hub = Client(self.hub.url, key_manager=manager)
        old_id = hub.whoami()["key"]["id"]
        self.assertEqual(hub.revoke(), {"revoked": True})
        self.assertNotEqual(hub.whoami()["key"]["id"], old_id)

    def test_failed_login_reaches_every_waiting_thread_and_is_not_cached(self) -> None:
        manager = self.manager(username=f"nobody-{uuid.uuid4().hex[:8]}", password="wrong-password-123")
        gate = Gate(manager, THREADS)
        outcomes = gate.run(manager.get_key)
        self.assertEqual(gate.logins, 1)
        for outcome in outcomes:
            self.assertIsInstance(outcome, LyzerHubError)
            self.assertEqual((outcome.status, outcome.code), (401, "invalid_credentials"))
        logins = self.count_logins(manager)
        with self.assertRaises(LyzerHubError):
            manager.get_key()
        self.assertEqual(logins[0], 1, "the failure was not cached: the next call logged in again")

    def test_key_shorter_than_the_margin_is_renewed_at_half_its_life(self) -> None:
        manager = self.manager(refresh_margin=60, expires_in_seconds=10)
        logins = self.count_logins(manager)
        key = manager.get_key()
        for _ in range(5):
            self.assertTrue(manager.get_key() == key, "the cached key")
        self.assertEqual(logins[0], 1, "no login per call for a key living less than the margin")
        real = time.monotonic
        with mock.patch.object(keys_module, "_monotonic", lambda: real() + 6):
            self.assertTrue(manager.get_key() != key, "renewed past half its life")
        self.assertEqual(logins[0], 2)

    def test_429_from_failed_logins_is_waited_out_then_the_login_succeeds(self) -> None:
        wrong = self.manager(password="not-the-password-1")
        for _ in range(5):
            with self.assertRaises(LyzerHubError) as caught:
                wrong.get_key()
            self.assertEqual(caught.exception.status, 401)
        right = self.manager()
        seen: List[int] = []
        send_once = right._transport._send_once

        def recording(*args):
            try:
                return send_once(*args)
            except LyzerHubError as error:
                seen.append(error.status or 0)
                raise

        with mock.patch.object(right._transport, "_send_once", recording):
            started = time.monotonic()
            key = right.get_key()
        self.assertTrue(key.startswith("lyz_"), "a key")
        self.assertEqual(seen, [429], "the sixth attempt was throttled, the retry after Retry-After was not")
        self.assertGreaterEqual(time.monotonic() - started, 1.0)

    def test_error_fields_come_from_the_problem(self) -> None:
        read_only = Client(self.hub.url, key_manager=self.manager(permissions=["read:metrics"]))
        with self.assertRaises(LyzerHubError) as caught:
            read_only.track("purchase")
        error = caught.exception
        self.assertEqual((error.status, error.code, error.retryable), (403, "missing_permission", False))
        self.assertIn("write:events", error.detail or "")
        self.assertEqual(error.problem.get("permission"), "write:events")
        self.assertTrue(error.request_id)
        self.assertIn("403 missing_permission", str(error))

    def test_certificate_is_verified(self) -> None:
        with mock.patch.dict(os.environ, {"LYZER_CA_CERT": ""}):
            untrusting = KeyManager(self.hub.url, "admin", self.hub.admin_password)
        with self.assertRaises(LyzerHubError) as caught:
            untrusting.get_key()
        self.assertEqual((caught.exception.status, caught.exception.code), (None, "connection_failed"))
        self.assertIn("CERTIFICATE_VERIFY_FAILED", caught.exception.detail or "")
