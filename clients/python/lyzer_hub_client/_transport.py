"""HTTPS plumbing shared by KeyManager and Client: URL checks, TLS, one JSON request with retries."""

from __future__ import annotations

import email.utils
import json
import os
import random
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from . import __version__
from .errors import LyzerHubError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
USER_AGENT = f"lyzer-hub-client-python/{__version__}"


def check_hub_url(hub_url: str) -> str:
    """Returns the hub's base URL without a trailing slash; refuses anything but HTTPS or loopback HTTP."""
    parts = urllib.parse.urlsplit(hub_url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"hub_url {hub_url!r} has no host; expected e.g. https://hub.example:5443")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"refusing plain http:// to {host}: keys and passwords would travel unencrypted. "
            "Use https:// (plain http is allowed only to 127.0.0.1, ::1 or localhost)."
        )
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"hub_url {hub_url!r} must start with https://")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("hub_url must not carry credentials, a query or a fragment")
    return hub_url.rstrip("/")


def ssl_context(ca_file: Optional[str]) -> ssl.SSLContext:
    """Verifying TLS context: trusts ``ca_file`` (or ``$LYZER_CA_CERT``) when given, else the system store."""
    ca_file = ca_file or os.environ.get("LYZER_CA_CERT") or None
    return ssl.create_default_context(cafile=ca_file)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would copy the Authorization header to wherever a redirect points; the hub never redirects.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


def build_opener(hub_url: str, context: ssl.SSLContext) -> urllib.request.OpenerDirector:
    """An opener that verifies TLS, never follows redirects and bypasses proxies for loopback."""
    handlers: list = [urllib.request.HTTPSHandler(context=context), _NoRedirect()]
    if (urllib.parse.urlsplit(hub_url).hostname or "").lower() in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _retry_after_seconds(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:  # the HTTP-date form
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_from(status: int, headers: Any, raw: bytes) -> LyzerHubError:
    problem: Dict[str, Any] = {}
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else {}
        if isinstance(parsed, dict):
            problem = parsed
    except (UnicodeDecodeError, ValueError):
        pass
    detail = problem.get("detail") or problem.get("title")
    if not detail and raw:
        detail = raw[:200].decode("utf-8", "replace")
    return LyzerHubError(
        status,
        problem.get("code"),
        detail,
        retry_after=_retry_after_seconds(headers.get("Retry-After") if headers is not None else None),
        problem=problem,
    )


class Transport:
    """Sends one JSON request to the hub, waiting out 429 and 503 by their ``Retry-After``."""

    def __init__(
        self,
        hub_url: str,
        ca_file: Optional[str] = None,
        timeout: float = 30,
        max_retries: int = 3,
        max_retry_wait: float = 60,
    ) -> None:
        self.hub_url = check_hub_url(hub_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._opener = build_opener(self.hub_url, ssl_context(ca_file))

    def request(self, method: str, path: str, body: Any = None, key: Optional[str] = None) -> Any:
        """Returns the parsed JSON answer (``None`` when empty); raises LyzerHubError otherwise."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        attempt = 0
        while True:
            try:
                return self._send_once(method, path, data, headers)
            except LyzerHubError as error:
                if error.status not in (429, 503) or attempt >= self.max_retries:
                    raise
                wait = error.retry_after if error.retry_after is not None else float(2**attempt)
                if wait > self.max_retry_wait:
                    raise  # the caller decides whether to wait that long; error.retry_after says how long
                # Never earlier than asked, plus a little jitter so many clients do not return in step.
                time.sleep(wait + random.uniform(0, min(1.0, 0.1 * wait + 0.05)))
                attempt += 1

    def _send_once(self, method: str, path: str, data: Optional[bytes], headers: Dict[str, str]) -> Any:
        request = urllib.request.Request(self.hub_url + path, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            with error:
                raise _error_from(error.code, error.headers, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise LyzerHubError(None, "connection_failed", f"could not reach {self.hub_url}: {reason}") from None
        if not raw:
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise LyzerHubError(response.status, "invalid_response", "the hub's answer is not JSON") from None
