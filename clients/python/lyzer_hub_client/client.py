"""Client: send events and read metrics with a key, or with a KeyManager that keeps one fresh."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._transport import Transport
from .errors import LyzerHubError
from .keys import KeyManager

Timestamp = Union[datetime, str]


def _rfc3339(value: Timestamp, name: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} needs a time zone (e.g. datetime.now(timezone.utc)); the hub needs an offset")
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a datetime or an RFC 3339 string, not {type(value).__name__}")


class Client:
    """A Lyzer Hub client. Give it exactly one of ``key`` (a fixed ``lyz_…`` key) or ``key_manager``.

    With a key manager, a ``401`` makes the client drop the key, get a new one and retry the call once.
    A ``429`` or ``503`` is retried after the ``Retry-After`` the hub gave (at most ``max_retries``
    times, and only when the wait is at most ``max_retry_wait`` seconds). Every failure raises
    :class:`LyzerHubError`. Thread-safe.

    Args:
        hub_url: ``https://…``; ``http://`` only to 127.0.0.1, ::1 or localhost.
        key: a fixed key.
        key_manager: a :class:`KeyManager` that logs in and renews keys.
        ca_file: PEM certificate(s) to trust; defaults to the key manager's, then ``$LYZER_CA_CERT``,
            then the system store. Verification is never switched off.
        timeout: seconds to wait for each answer.
    """

    def __init__(
        self,
        hub_url: str,
        key: Optional[str] = None,
        key_manager: Optional[KeyManager] = None,
        ca_file: Optional[str] = None,
        timeout: float = 30,
        max_retries: int = 3,
        max_retry_wait: float = 60,
    ) -> None:
        if (key is None) == (key_manager is None):
            raise ValueError("give exactly one of key= or key_manager=")
        if ca_file is None and key_manager is not None:
            ca_file = key_manager.ca_file
        self._transport = Transport(
            hub_url, ca_file=ca_file, timeout=timeout, max_retries=max_retries, max_retry_wait=max_retry_wait
        )
        self.hub_url = self._transport.hub_url
        self._key = key
        self.key_manager = key_manager

    def __repr__(self) -> str:  # never shows the key
        return f"Client(hub_url={self.hub_url!r})"

    # --- events -------------------------------------------------------------------------------

    def track(
        self,
        event: str,
        distinct_id: Optional[str] = None,
        properties: Optional[Mapping[str, Any]] = None,
        timestamp: Optional[Timestamp] = None,
        id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Sends one event (``POST /v1/events``) and returns the hub's answer.

        The event gets a UUID ``id`` unless given one, fixed before the first send, so sending it
        again (a retry) is counted as a duplicate, never twice. The answer looks like
        ``{"accepted": 1, "duplicates": 0, "rejected": 0, "results": [{"index": 0, "status": …, "id": …}]}``.
        """
        item: Dict[str, Any] = {"name": event}
        if distinct_id is not None:
            item["distinct_id"] = distinct_id
        if properties is not None:
            item["properties"] = dict(properties)
        if timestamp is not None:
            item["timestamp"] = timestamp
        if id is not None:
            item["id"] = id
        return self.send_batch([item])

    def send_batch(self, events: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
        """Sends events (dicts with ``name`` and optional ``id``, ``distinct_id``, ``timestamp``,
        ``properties``) in one request, at most 5,000. Events without an ``id`` get a UUID first.

        Returns the hub's verdicts: ``accepted``, ``duplicates``, ``rejected`` and ``results`` (one per
        event, in order, with ``status`` ``accepted``, ``duplicate`` or ``rejected`` and a ``reason``).
        """
        batch: List[Dict[str, Any]] = []
        for index, event in enumerate(events):
            item = dict(event)
            if item.get("id") is None:
                item["id"] = str(uuid.uuid4())
            if item.get("timestamp") is not None:
                item["timestamp"] = _rfc3339(item["timestamp"], f"events[{index}].timestamp")
            batch.append(item)
        return self._call("POST", "/v1/events", batch)

    # --- metrics ------------------------------------------------------------------------------

    def query(
        self,
        event: str,
        measure: str = "count",
        property: Optional[str] = None,
        *,
        from_: Timestamp,
        to: Timestamp,
        interval: str = "none",
        timezone: str = "UTC",
        filters: Optional[Sequence[Mapping[str, Any]]] = None,
        breakdown: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Reads a metric (``POST /v1/metrics/query``) over ``[from_, to)``.

        ``measure`` is ``count``, ``unique``, ``sum``, ``avg``, ``min``, ``max``, ``p50``, ``p90``,
        ``p95`` or ``p99`` (all but ``count`` and ``unique`` need a numeric ``property``); ``interval``
        is ``none``, ``minute``, ``hour``, ``day``, ``week`` or ``month`` in the IANA ``timezone``;
        ``filters`` are ``{"property", "op", "value"}`` dicts. ``from_``/``to`` are aware datetimes or
        RFC 3339 strings. Returns the answer: ``{"series": [{"key", "total", "points": [{"t", "value"}]}], …}``.
        """
        body: Dict[str, Any] = {
            "event": event,
            "measure": measure,
            "from": _rfc3339(from_, "from_"),
            "to": _rfc3339(to, "to"),
            "interval": interval,
            "timezone": timezone,
        }
        if property is not None:
            body["property"] = property
        if filters is not None:
            body["filters"] = [dict(f) for f in filters]
        if breakdown is not None:
            body["breakdown"] = breakdown
        if limit is not None:
            body["limit"] = limit
        return self._call("POST", "/v1/metrics/query", body)

    # --- keys ---------------------------------------------------------------------------------

    def whoami(self) -> Dict[str, Any]:
        """``GET /v1/auth/whoami``: the tenant, user and key behind the current key."""
        return self._call("GET", "/v1/auth/whoami")

    def revoke(self, key: Optional[str] = None) -> Dict[str, Any]:
        """Revokes ``key``, or the client's own current key when ``None`` (``POST /v1/auth/revoke``).

        The hub answers ``{"revoked": true}`` for any well-formed key, known or not. Revoking the key
        manager's current key makes it log in again on the next call.
        """
        if key is None:
            used = self._current_key()
            answer = self._transport.request("POST", "/v1/auth/revoke", None, key=used)
        else:
            used = key
            answer = self._transport.request("POST", "/v1/auth/revoke", {"key": key}, key=None)
        if self.key_manager is not None:
            self.key_manager.invalidate(used)
        return answer

    # --- plumbing -----------------------------------------------------------------------------

    def _current_key(self) -> str:
        if self.key_manager is not None:
            return self.key_manager.get_key()
        assert self._key is not None
        return self._key

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        key = self._current_key()
        try:
            return self._transport.request(method, path, body, key=key)
        except LyzerHubError as error:
            if error.status != 401 or self.key_manager is None:
                raise
        # The key was revoked or expired early: one new key, one more try, never a loop.
        self.key_manager.invalidate(key)
        return self._transport.request(method, path, body, key=self.key_manager.get_key())
