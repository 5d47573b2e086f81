"""Every benchmark in bench/ runs in smoke mode (`--smoke`: its own code at a tiny size), so a
change that breaks a benchmark turns the suite red, not the next `make bench`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import smoke
from modelbuilding import acne04

ROOT = Path(__file__).resolve().parents[2]
BENCHES = sorted((ROOT / "bench").glob("bench_*.py"))


def test_there_are_benches_to_smoke_run():
    assert len(BENCHES) >= 7, BENCHES


@pytest.mark.slow
@pytest.mark.parametrize("bench", BENCHES, ids=[b.stem for b in BENCHES])
def test_a_bench_runs_in_smoke_mode(bench):
    # The benches make their own throwaway databases and folders; none uses the test's.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    run = subprocess.run(
        [sys.executable, str(bench), "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert run.stdout.strip(), "a smoke run prints its figures"
    # Without ../shared a bench on ACNE04 reads a generated folder; it must not skip.
    assert "no ACNE04 folder" not in output, output[-2000:]


def test_smoke_mode_makes_a_tiny_folder_in_acne04_layout_when_none_is_given():
    with smoke.acne04_folder(None, smoke=True) as folder:
        photos = acne04.read_folder(folder, "valid")
        assert sorted(p.level for p in photos) == [0, 1, 2, 3]
        assert all(p.path.is_file() and len(p.boxes) for p in photos)
        assert acne04.read_folder(folder, "train")
    assert not Path(folder).exists()


def test_a_folder_given_is_read_as_it_is(tmp_path):
    with smoke.acne04_folder(str(tmp_path), smoke=True) as folder:
        assert folder == str(tmp_path)
    with smoke.acne04_folder(None, smoke=False) as folder:
        assert folder == str(smoke.ACNE04)
