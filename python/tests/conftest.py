import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def syndup_bin():
    """The syndup binary built from this checkout (release), or skip loudly."""
    exe = os.environ.get("SYNDUP_BIN") or str(ROOT / "target" / "release" / "syndup")
    if not os.path.exists(exe):
        exe = shutil.which("syndup")
    if not exe:
        pytest.skip("SKIPPED LOUDLY: no syndup binary (cargo build --release first)")
    return exe


def run_cli(*args, stdin=None):
    out = subprocess.run(
        [syndup_bin(), *map(str, args)], cwd=ROOT, capture_output=True, input=stdin, check=False
    )
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout.decode()


@pytest.fixture
def root():
    return ROOT
