"""What a hostile JPEG costs an upload (``diagnosis.uploads.clean_selfie``), against Pillow's
plain decode of the same file in the same process.

A progressive JPEG padded with empty AC-refinement scans (~42 bytes each) makes libjpeg pass over
every block once per scan. Printed: the CPU Pillow spends decoding such a file, the CPU the
upload spends refusing it (the scan count, before decoding), their ratio; how soon the CPU
budget stops such a decode when the scan limit is lifted; and, for scale, an ordinary 12 MP
phone photo and a 48 MP one (read reduced). Figures are printed, not checked.

    .venv/bin/python bench/bench_scan_bomb.py [--side 2048] [--scans 300] [--smoke]
"""

import argparse
import io
import os
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skinshop.settings")
os.environ.setdefault("DJANGO_ENV", "test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402

from diagnosis.uploads import UploadRejected, clean_selfie  # noqa: E402


def scan_bomb(side: int, scans: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, format="JPEG", progressive=True)
    data = out.getvalue()
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([1, 0x00, 1, 63, 0x10])
    return data[:-2] + (sos + bytes(32)) * scans + b"\xff\xd9"


def phone_photo(width: int, height: int) -> bytes:
    picture = Image.effect_noise((width // 8, height // 8), 40).convert("RGB")
    out = io.BytesIO()
    picture.resize((width, height)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def cpu(call) -> tuple[float, str]:
    started = time.thread_time()
    try:
        outcome = call()
    except UploadRejected as rejected:
        outcome = f"refused ({rejected.code})"
    return time.thread_time() - started, outcome


def upload(data: bytes):
    def call():
        selfie = clean_selfie(SimpleUploadedFile("selfie.jpg", data, "image/jpeg"))
        return f"stored {selfie.width}x{selfie.height}"

    return call


def pillow_decode(data: bytes):
    def call():
        with Image.open(io.BytesIO(data)) as img:
            img.load()
        return "decoded"

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=2048)
    parser.add_argument("--scans", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="small sizes, a few seconds")
    args = parser.parse_args()
    side, scans = (512, 100) if args.smoke else (args.side, args.scans)

    bomb = scan_bomb(side, scans)
    decode_s, _ = cpu(pillow_decode(bomb))
    refuse_s, outcome = cpu(upload(bomb))
    print(f"scan bomb {side}x{side}, {scans} scans, {len(bomb) / 1024:.0f} KB")
    print(f"  Pillow's plain decode      {decode_s:8.3f} s CPU")
    print(f"  upload (clean_selfie)      {refuse_s:8.4f} s CPU  {outcome}")
    print(f"  ratio                      {decode_s / max(refuse_s, 1e-6):8.0f}x less")

    big = scan_bomb(4896, 1000 if not args.smoke else 100)
    refuse_s, outcome = cpu(upload(big))
    print(f"scan bomb 4896x4896, {len(big) / 1024:.0f} KB: upload {refuse_s:.4f} s CPU  {outcome}")

    settings.DIAGNOSIS_MAX_JPEG_SCANS = 10**6
    budget = settings.DIAGNOSIS_DECODE_CPU_SECONDS = 0.1 if args.smoke else 0.5
    stopped_s, outcome = cpu(upload(scan_bomb(1024, 2000 if args.smoke else 8000)))
    print(f"scan limit lifted, CPU budget {budget} s: stopped after {stopped_s:.3f} s  {outcome}")

    for width, height in [(4032, 3024), (8000, 6000)] if not args.smoke else [(1600, 1200)]:
        took, outcome = cpu(upload(phone_photo(width, height)))
        print(f"phone photo {width}x{height}: upload {took:.3f} s CPU  {outcome}")


if __name__ == "__main__":
    main()
