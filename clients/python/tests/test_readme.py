"""The README's example runs verbatim against the real hub, from the folder holding data/tls/hub.crt."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest
from pathlib import Path

from . import realhub

README = Path(__file__).resolve().parents[1] / "README.md"


class ReadmeTests(unittest.TestCase):
    def test_example_runs_verbatim(self) -> None:
        hub = realhub.hub()
        blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
        self.assertTrue(blocks, "the README has a python example")
        env = dict(os.environ, LYZER_HUB=hub.url, LYZER_PASSWORD=hub.admin_password,
                   PYTHONPATH=str(README.parent))
        env.pop("LYZER_CA_CERT", None)
        run = subprocess.run([sys.executable, "-c", blocks[0]], cwd=os.path.dirname(hub.data_dir), env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.split(), ["accepted", "49.5", "admin", "401", "invalid_key"])
        self.assertNotIn("lyz_", run.stdout + run.stderr)
