"""Checks an uploaded selfie and turns it into the file we store.

Every rejected kind has its own code and a message a shopper can act on. What passes is decoded,
turned upright by its EXIF orientation, downscaled and re-encoded as a JPEG without any metadata
(GPS, camera, time): the original bytes are never stored. A small square thumbnail for lists is
cut from the same picture.
"""

import io
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from diagnosis.ml.face import upright_rgb

pillow_heif.register_heif_opener()

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
    try:
        with Image.open(upload, formats=ACCEPTED_FORMATS) as img:
            _check_dimensions(img.width, img.height)
            img.load()
            picture = upright_rgb(img)
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
    return _encode(picture)


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
        picture = picture.copy()
        picture.thumbnail((longest, longest), Image.Resampling.LANCZOS)
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
