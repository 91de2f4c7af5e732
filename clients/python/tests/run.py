"""Runs the Python client's tests and writes JUnit XML, so CI can count them next to the .NET results.

    python3 clients/python/tests/run.py [--junit PATH]

Exit status 0 only when every test passed (skips allowed); an import error or a hub that would not start
shows up as a failed test, never as a silent pass."""

from __future__ import annotations

import argparse
import sys
import time
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package under test and the `tests` package, without installing

from tests import realhub  # noqa: E402


class RecordingResult(unittest.TextTestResult):
    """Keeps one (test id, outcome, seconds, message) row per test."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = []
        self._started = 0.0

    def startTest(self, test) -> None:
        self._started = time.monotonic()
        super().startTest(test)

    def _row(self, test, outcome: str, message: str = "") -> None:
        self.rows.append((test.id(), outcome, time.monotonic() - self._started, message))

    def addSuccess(self, test) -> None:
        super().addSuccess(test)
        self._row(test, "passed")

    def addFailure(self, test, err) -> None:
        super().addFailure(test, err)
        self._row(test, "failed", self._exc_info_to_string(err, test))

    def addError(self, test, err) -> None:  # also setUpModule/setUpClass errors, as a pseudo-test
        super().addError(test, err)
        self._row(test, "failed", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason) -> None:
        super().addSkip(test, reason)
        self._row(test, "skipped", reason)

    def addExpectedFailure(self, test, err) -> None:
        super().addExpectedFailure(test, err)
        self._row(test, "passed")

    def addUnexpectedSuccess(self, test) -> None:
        super().addUnexpectedSuccess(test)
        self._row(test, "failed", "unexpected success")

    def addSubTest(self, test, subtest, err) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._row(subtest, "failed", self._exc_info_to_string(err, test))


def write_junit(rows, path: Path) -> None:
    suite = ET.Element("testsuite", name="lyzer_hub_client", tests=str(len(rows)),
                      failures=str(sum(r[1] == "failed" for r in rows)),
                      skipped=str(sum(r[1] == "skipped" for r in rows)), errors="0")
    for test_id, outcome, seconds, message in rows:
        module, _, name = test_id.rpartition(".")
        case = ET.SubElement(suite, "testcase", classname=module, name=name, time=f"{seconds:.3f}")
        if outcome == "failed":
            ET.SubElement(case, "failure", message=message.strip().splitlines()[-1][:500] if message else "").text = message
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", message=message)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--junit", type=Path, help="where to write JUnit XML")
    args = parser.parse_args()
    suite = unittest.defaultTestLoader.discover(str(HERE), top_level_dir=str(HERE.parent))
    runner = unittest.TextTestRunner(resultclass=RecordingResult, verbosity=2)
    try:
        result = runner.run(suite)
    finally:
        realhub.stop()
    rows = result.rows
    if not rows:
        rows = [("tests.discovery", "failed", 0.0, "no Python tests were found")]
    if args.junit:
        write_junit(rows, args.junit)
    counts = {o: sum(r[1] == o for r in rows) for o in ("passed", "failed", "skipped")}
    print(f"python client: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped",
          file=sys.stderr)
    return 1 if counts["failed"] or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main())
