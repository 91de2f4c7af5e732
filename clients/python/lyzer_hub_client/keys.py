"""KeyManager: logs in with a password and keeps a fresh key, one login at a time across threads."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any, Dict, List, Optional

from ._transport import Transport
from .errors import LyzerHubError

# Module-level so tests can move the clock; always monotonic, never the wall clock.
_monotonic = time.monotonic


class _Login:
    """One login in flight: the thread doing it publishes its key or its error here for the waiters."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.key: Optional[str] = None
        self.error: Optional[BaseException] = None


class KeyManager:
    """Gets a key by logging in (``POST /v1/auth/key``) and renews it before it expires.

    The key's expiry is reckoned from when the login answer arrived (``time.monotonic()`` plus the
    answer's ``expires_in_seconds``); the key itself is never parsed and the wall clock never read.
    Thread-safe: however many threads ask at once, at most one login is in flight and the others wait
    for its outcome. A failed login is raised to every caller that waited for it and is not cached, so
    the next ``get_key()`` tries again.

    Args:
        hub_url: e.g. ``https://127.0.0.1:5443``.
        username, password: the user's credentials (the password stays in memory, never logged).
        refresh_margin: seconds before expiry at which to log in again. For a key living less than
            twice the margin, it is renewed at half its lifetime instead, so short keys never cause
            a login on every call.
        ca_file: PEM file of the certificate(s) to trust (the hub's ``data/tls/hub.crt``);
            defaults to ``$LYZER_CA_CERT``, then the system store.
        permissions: permissions to ask for; the tenant's default login permissions when ``None``.
        expires_in_seconds: the lifetime to ask for; the tenant's login key lifetime when ``None``.
        timeout: seconds to wait for the hub on each request.
    """

    def __init__(
        self,
        hub_url: str,
        username: str,
        password: str,
        refresh_margin: float = 60,
        ca_file: Optional[str] = None,
        permissions: Optional[List[str]] = None,
        expires_in_seconds: Optional[int] = None,
        timeout: float = 30,
    ) -> None:
        if refresh_margin < 0:
            raise ValueError("refresh_margin must be zero or more seconds")
        self._transport = Transport(hub_url, ca_file=ca_file, timeout=timeout)
        self.hub_url = self._transport.hub_url
        self.ca_file = ca_file
        self.username = username
        self._password = password
        self.refresh_margin = refresh_margin
        self.permissions = list(permissions) if permissions is not None else None
        self.expires_in_seconds = expires_in_seconds
        self._lock = threading.Lock()
        self._key: Optional[str] = None
        self._key_info: Dict[str, Any] = {}
        self._refresh_at = 0.0
        self._in_flight: Optional[_Login] = None

    def __repr__(self) -> str:  # never shows the key or the password
        return f"KeyManager(hub_url={self.hub_url!r}, username={self.username!r})"

    @property
    def key_info(self) -> Dict[str, Any]:
        """The last login answer without its secret (``key_id``, ``permissions``, ``expires_at``, ...)."""
        with self._lock:
            return dict(self._key_info)

    def get_key(self) -> str:
        """Returns a key with more than the refresh margin left, logging in when needed.

        Raises:
            LyzerHubError: the login failed (e.g. 401 ``invalid_credentials``, 429 ``rate_limited``).
        """
        with self._lock:
            if self._key is not None and _monotonic() < self._refresh_at:
                return self._key
            login = self._in_flight
            leader = login is None
            if login is None:
                login = self._in_flight = _Login()
        if not leader:
            login.done.wait()
            if login.error is not None:
                # A copy per waiter: one exception object raised in many threads would mix their tracebacks.
                raise copy.copy(login.error)
            assert login.key is not None
            return login.key
        try:
            answer = self._login()
            arrived = _monotonic()
            key = answer["key"]
            lifetime = answer.get("expires_in_seconds")
        except BaseException as error:
            if isinstance(error, (KeyError, TypeError)):
                error = LyzerHubError(200, "invalid_response", "the login answer carries no key")
            login.error = error
            with self._lock:
                self._in_flight = None
            login.done.set()
            raise error
        with self._lock:
            self._key = key
            self._key_info = {k: v for k, v in answer.items() if k != "key"}
            if isinstance(lifetime, (int, float)) and lifetime > 0:
                self._refresh_at = arrived + lifetime - min(self.refresh_margin, lifetime / 2)
            else:  # a key without an expiry is kept until invalidated
                self._refresh_at = float("inf")
            self._in_flight = None
        login.key = key
        login.done.set()
        return key

    def invalidate(self, key: Optional[str] = None) -> None:
        """Forgets the cached key (call it after a 401) so the next ``get_key()`` logs in.

        With ``key``, forgets only if that is still the cached key: many threads that each saw a 401
        on the same old key then cause one login, not one each.
        """
        with self._lock:
            if key is None or key == self._key:
                self._key = None
                self._key_info = {}
                self._refresh_at = 0.0

    def _login(self) -> Dict[str, Any]:
        """One ``POST /v1/auth/key``; returns the parsed answer."""
        body: Dict[str, Any] = {"username": self.username, "password": self._password}
        if self.permissions is not None:
            body["permissions"] = self.permissions
        if self.expires_in_seconds is not None:
            body["expires_in_seconds"] = self.expires_in_seconds
        answer = self._transport.request("POST", "/v1/auth/key", body)
        if not isinstance(answer, dict):
            raise LyzerHubError(200, "invalid_response", "the login answer is not a JSON object")
        return answer
