"""Checks an uploaded selfie and turns it into the file we store.

Every rejected kind has its own code and a message a shopper can act on. What passes is decoded,
turned upright by its EXIF orientation, downscaled and re-encoded as a JPEG without any metadata
(GPS, camera, time): the original bytes are never stored. A small square thumbnail for lists is
cut from the same picture.
"""

import io
import threading
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from diagnosis.ml.face import upright_rgb

pillow_heif.register_heif_opener()
# Pillow's own decompression-bomb guard (it warns above MAX_IMAGE_PIXELS and refuses above
# twice that), tightened from its 89 MP default to the shop's limit: a second line behind
# ``_check_dimensions``, which refuses first (at 1×, naming the size) so that Pillow never
# warns about a selfie we accept and refuses outright at 4× whatever opens the image.
Image.MAX_IMAGE_PIXELS = 2 * settings.DIAGNOSIS_MAX_PIXELS

# What phones and browsers send for a selfie. Anything else, SVG and HTML included, is refused
# by what the bytes are, whatever the file is called.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ACCEPTED_HUMAN = "JPEG, PNG, WebP or HEIC"
STORED_QUALITY = 90
# The history page shows 64 px squares: twice that stays sharp on phone screens.
THUMBNAIL_SIDE = 128
THUMBNAIL_QUALITY = 80


class UploadRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CleanSelfie:
    content: bytes  # JPEG, no metadata
    width: int
    height: int
    thumbnail: bytes  # JPEG, THUMBNAIL_SIDE square from the centre, no metadata


class _DecodeSlots:
    """At most ``DIAGNOSIS_MAX_CONCURRENT_DECODES`` uploads decode at once in one process (a
    threaded server would otherwise hold that many full-size pictures in memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._semaphore: threading.BoundedSemaphore | None = None
        self._size = 0

    def semaphore(self) -> threading.BoundedSemaphore:
        size = settings.DIAGNOSIS_MAX_CONCURRENT_DECODES
        with self._lock:
            if self._semaphore is None or self._size != size:
                self._semaphore, self._size = threading.BoundedSemaphore(size), size
            return self._semaphore


_decode_slots = _DecodeSlots()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def clean_selfie(upload) -> CleanSelfie:
    """The storable selfie for an uploaded file (anything with ``size`` and ``read``/``seek``)."""
    size = getattr(upload, "size", None)
    if not size:
        raise UploadRejected("empty", "The file is empty. Choose a photo and try again.")
    limit = settings.DIAGNOSIS_MAX_UPLOAD_BYTES
    if size > limit:
        raise UploadRejected(
            "too_large",
            f"The file is too large ({_megabytes(size)}); send a photo under {_megabytes(limit)}.",
        )
    upload.seek(0)
    slots = _decode_slots.semaphore()
    if not slots.acquire(timeout=settings.DIAGNOSIS_DECODE_WAIT_SECONDS):
        raise UploadRejected(
            "busy", "Many photos are being checked right now; send yours again in a minute."
        )
    try:
        with Image.open(upload, formats=ACCEPTED_FORMATS) as img:
            _check_dimensions(img.width, img.height)
            picture = upright_rgb(_decode_reduced(img))
    except UploadRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except UnidentifiedImageError as exc:
        raise UploadRejected(
            "not_an_image",
            f"This file is not a photo we can read. Send a {ACCEPTED_HUMAN} image.",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        # "image file is truncated", broken headers, bad HEIF boxes.
        raise UploadRejected(
            "damaged",
            "The photo is damaged or incomplete (the upload may have been cut off). "
            "Take or choose the photo again.",
        ) from exc
    finally:
        slots.release()
    return _encode(picture)


def _decode_reduced(img: Image.Image) -> Image.Image:
    """Decode ``img`` no larger than needed: only ``DIAGNOSIS_STORED_MAX_SIDE`` is stored.

    A JPEG decodes straight at 1/2, 1/4 or 1/8 scale (``draft``); other formats decode at full
    size, then shrink by a whole factor (``reduce``: a box average, one small new picture)
    before anything else copies them. The result keeps ``img``'s EXIF for the orientation.
    """
    target = settings.DIAGNOSIS_STORED_MAX_SIDE
    if img.format == "JPEG" and img.mode in ("RGB", "L", "CMYK"):
        img.draft(img.mode, (target, target))  # the largest scale still >= target
    img.load()
    factor = min(img.width, img.height, max(img.width, img.height) // target)
    if factor < 2:
        return img
    if img.mode in ("P", "1"):
        # Box-averaging palette indices would be meaningless: pick pixels instead (the final
        # resize to the stored size then smooths), still without a full-size RGB copy.
        reduced = img.resize(
            (img.width // factor, img.height // factor), Image.Resampling.NEAREST
        )
    else:
        if img.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
            img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
        reduced = img.reduce(factor)
    reduced.info = dict(img.info)  # the EXIF orientation, for upright_rgb
    return reduced


def _check_dimensions(width: int, height: int) -> None:
    # Checked from the header before decoding: a small file can claim an enormous canvas.
    if width * height > settings.DIAGNOSIS_MAX_PIXELS:
        raise _too_many_pixels(width, height)
    minimum = settings.DIAGNOSIS_MIN_SIDE
    if min(width, height) < minimum:
        raise UploadRejected(
            "too_small",
            f"The photo is too small ({width}×{height} pixels); send one at least "
            f"{minimum}×{minimum}. A phone's front camera is plenty.",
        )


def _too_many_pixels(width: int | None = None, height: int | None = None) -> UploadRejected:
    what = f" ({width}×{height})" if width else ""
    limit = settings.DIAGNOSIS_MAX_PIXELS // 1_000_000
    return UploadRejected(
        "too_many_pixels",
        f"The photo has too many pixels{what}; send one under {limit} megapixels.",
    )


def _encode(picture: Image.Image) -> CleanSelfie:
    # Pixels only: Pillow carries an image's ``info`` through every copy and writes some of it
    # back when saving (a JPEG comment, a PNG text chunk named "comment"), so drop all of it.
    picture.info = {}
    longest = settings.DIAGNOSIS_STORED_MAX_SIDE
    if max(picture.size) > longest:
        picture.thumbnail((longest, longest), Image.Resampling.LANCZOS)  # ours: no copy
    # The centred square of the stored picture (already upright and downscaled, so cheap to
    # shrink), as the page's object-fit: cover would have cropped the full selfie.
    square = ImageOps.fit(
        picture, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS, centering=(0.5, 0.5)
    )
    return CleanSelfie(
        content=_jpeg(picture, STORED_QUALITY),
        width=picture.width,
        height=picture.height,
        thumbnail=_jpeg(square, THUMBNAIL_QUALITY),
    )


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # ``picture.info`` is empty (``_encode``) and no EXIF, ICC, XMP or comment is passed:
    # nothing but the pixels leaves.
    picture.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()
