"""The one exception type the client raises for anything the hub (or the network) refused."""

from __future__ import annotations

from typing import Any, Dict, Optional

# Statuses worth trying again later: throttled, overloaded, or a gateway/timeout in between.
_RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})


class LyzerHubError(Exception):
    """An error answer from the hub, or a failure to reach it.

    Attributes:
        status: the HTTP status (``None`` when the hub could not be reached).
        code: the problem's stable ``code`` (e.g. ``invalid_key``, ``missing_permission``,
            ``rate_limited``); ``connection_failed`` when the hub could not be reached.
        detail: the problem's human-readable ``detail``.
        retryable: whether trying the same call again later may succeed.
        retry_after: seconds the hub asked to wait (``Retry-After``), when it said.
        problem: the whole RFC 9457 problem body as parsed (empty when there was none).
    """

    def __init__(
        self,
        status: Optional[int],
        code: Optional[str],
        detail: Optional[str],
        *,
        retryable: Optional[bool] = None,
        retry_after: Optional[float] = None,
        problem: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.retryable = (status is None or status in _RETRYABLE_STATUSES) if retryable is None else retryable
        self.retry_after = retry_after
        self.problem: Dict[str, Any] = dict(problem or {})
        super().__init__(status, code, detail)

    @property
    def request_id(self) -> Optional[str]:
        """The hub's ``request_id`` for this answer, to quote when asking the operator."""
        value = self.problem.get("request_id")
        return value if isinstance(value, str) else None

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{where} {self.code or 'error'}: {self.detail or ''}".rstrip(": ")

    def __reduce__(self):  # keeps copy.copy() and pickling working with the keyword-only fields
        return (
            _rebuild,
            (self.status, self.code, self.detail, self.retryable, self.retry_after, self.problem),
        )


def _rebuild(status, code, detail, retryable, retry_after, problem) -> LyzerHubError:
    return LyzerHubError(status, code, detail, retryable=retryable, retry_after=retry_after, problem=problem)
