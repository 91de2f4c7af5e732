"""`pip install --no-build-isolation ./clients/python` works offline in a throwaway venv, and imports.

No package index is reachable here, so the build uses the setuptools (and, before setuptools 70.1, the
wheel package) already installed: Debian's python3 has both (python3-setuptools, python3-wheel)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
CAN_BUILD = (
    "import setuptools, sys\n"
    "if int(setuptools.__version__.split('.')[0]) < 70: import wheel\n"
    "import pip\n"
)


def _builder() -> str:
    """The first Python that can build the package without reaching an index."""
    for python in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if python and subprocess.run([python, "-c", CAN_BUILD], capture_output=True).returncode == 0:
            return python
    return ""


class InstallTests(unittest.TestCase):
    def test_pip_install_in_a_venv_then_import(self) -> None:
        python = _builder()
        if not python:
            self.skipTest("no Python here has pip, setuptools and wheel to build with (install python3-wheel)")
        with tempfile.TemporaryDirectory() as work:
            # A copy, so the in-tree build leaves no build/ or *.egg-info in the work tree.
            source = Path(work) / "src"
            shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
            venv = Path(work) / "venv"
            made = subprocess.run([python, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                                  capture_output=True, text=True)
            self.assertEqual(made.returncode, 0, made.stderr)
            venv_python = str(venv / "bin" / "python")
            install = subprocess.run(
                [venv_python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--quiet", str(source)],
                capture_output=True, text=True, cwd=work,
            )
            self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
            check = subprocess.run(
                [venv_python, "-c", "import lyzer_hub_client as m, sys; "
                 "assert m.__file__.startswith(sys.prefix), m.__file__; print(m.__version__)"],
                capture_output=True, text=True, cwd=work,
            )
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertEqual(check.stdout.strip(), "0.1.0")
