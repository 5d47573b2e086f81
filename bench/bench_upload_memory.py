"""Peak memory of one selfie upload's decode (``diagnosis.uploads.clean_selfie``).

Each case runs in a fresh subprocess: the peak resident set (VmHWM, reset just before the call
through /proc/self/clear_refs) minus the resident set before it is what that one upload costs
the web process. Cases: a 39 KB palette PNG of 6300×6300 (under the old 40 MP limit), a palette
PNG just under the current limit, a 12 MP and a 48 MP phone JPEG (the latter read at half size).
Figures are printed, not checked.

    .venv/bin/python bench/bench_upload_memory.py [--max-pixels N]

``--smoke``: the same cases at a tenth of the pixels, the limit too.

Run it on an older commit for the "before" figures (README in this folder).
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skinshop.settings")
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from diagnosis.uploads import UploadRejected, clean_selfie

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # MiB
    return 0.0

data = open(sys.argv[1], "rb").read()
upload = SimpleUploadedFile("selfie", data, "application/octet-stream")
before = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak (VmHWM) to the current resident set
except OSError:
    pass
started = time.perf_counter()
try:
    selfie = clean_selfie(upload)
    outcome = f"stored {selfie.width}x{selfie.height}"
except UploadRejected as rejected:
    outcome = f"refused ({rejected.code})"
seconds = time.perf_counter() - started
print(json.dumps({"outcome": outcome, "peak_mib": status("VmHWM") - before, "seconds": seconds}))
"""


def palette_png(side: int) -> bytes:
    from PIL import Image

    picture = Image.new("P", (side, side), 0)
    picture.putpalette([value for index in range(256) for value in (index, 255 - index, 128)])
    for band in range(0, side, 97):  # a few stripes: still compresses to tens of KB
        picture.paste(band % 256, (0, band, side, band + 3))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def phone_jpeg(width: int = 4032, height: int = 3024) -> bytes:
    from PIL import Image

    picture = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-pixels", type=int, help="DIAGNOSIS_MAX_PIXELS for the run")
    smoke.add_argument(parser)
    args = parser.parse_args()
    side = (lambda n: int(n / 10**0.5)) if args.smoke else int  # a tenth of the pixels
    if args.smoke:
        args.max_pixels = args.max_pixels or 2_400_000
    env = {**os.environ, "DJANGO_ENV": "local", "LOG_LEVEL": "WARNING"}
    if args.max_pixels:
        env["DIAGNOSIS_MAX_PIXELS"] = str(args.max_pixels)
    limit = int(env.get("DIAGNOSIS_MAX_PIXELS", "0")) or None
    under = int(((limit or 24_000_000) - 1) ** 0.5)
    over, width, height = side(6300), side(4032), side(3024)
    cases = [
        (f"palette PNG {over}x{over}", palette_png(over)),
        (f"palette PNG {under}x{under}", palette_png(under)),
        (f"phone JPEG {width}x{height}", phone_jpeg(width, height)),
        (f"phone JPEG {side(8000)}x{side(6000)} (48 MP)", phone_jpeg(side(8000), side(6000))),
    ]
    print(f"{'case':32} {'bytes':>9} {'peak RSS':>10} {'time':>7}  outcome")
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for name, data in cases:
            path = Path(folder) / "upload"
            path.write_bytes(data)
            result = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                print(f"{name:32} FAILED\n{result.stderr[-2000:]}")
                failed += 1
                continue
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{name:32} {len(data):>9} {figures['peak_mib']:>7.0f} MiB "
                f"{figures['seconds']:>6.2f}s  {figures['outcome']}"
            )
    return 1 if failed else 0  # a case that crashed is the bench's failure, not a figure


if __name__ == "__main__":
    sys.exit(main())
