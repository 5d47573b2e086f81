"""Checks an uploaded selfie and turns it into the file we store.

Every rejected kind has its own code and a message a shopper can act on. What passes is decoded,
turned upright by its EXIF orientation, downscaled and re-encoded as a JPEG without any metadata
(GPS, camera, time): the original bytes are never stored. A small square thumbnail for lists is
cut from the same picture.

What a decode may cost is settled before it starts, from the file's size and header: the pixels
it will be decoded at (a JPEG of one scan decodes reduced, so a 48 MP phone photo is read at
12 MP), and a JPEG's number of scans (each scan of a progressive JPEG is another pass over every
block: a 90 KB file of 1000 empty scans costs 12 s of CPU, a 15 MB one hours).
Within those bounds, a decode that still uses more than DIAGNOSIS_DECODE_CPU_SECONDS of its
thread's CPU is stopped at Pillow's next read (``_CpuBudget``).
"""

import io
import re
import threading
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import pillow_heif
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from PIL import Image, ImageOps, UnidentifiedImageError

from diagnosis.ml.face import upright_rgb
from skinshop import errors

pillow_heif.register_heif_opener()
# Pillow's own decompression-bomb guard (it warns above MAX_IMAGE_PIXELS and refuses above
# twice that), set to the shop's ceiling for any photo: a second line behind
# ``_check_pixels``, which refuses first (naming the size), so that Pillow never warns about
# a selfie we accept and refuses outright at twice the ceiling whatever opens the image.
Image.MAX_IMAGE_PIXELS = settings.DIAGNOSIS_MAX_JPEG_PIXELS

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


class DecodeBusy(errors.TooManyRequests):
    """No decode slot came free in time. The server's capacity, not the shopper's doing: 503
    (with Retry-After, as a limit), and the photos are not charged to the shopper."""

    status = 503
    code = "busy"


class _TooSlow(Exception):
    """The decode used up its CPU budget."""


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


@contextmanager
def decode_slot():
    """One of this process's decode slots, held while a check's photos are read; DecodeBusy
    when none comes free within DIAGNOSIS_DECODE_WAIT_SECONDS."""
    slots = _decode_slots.semaphore()
    if not slots.acquire(timeout=settings.DIAGNOSIS_DECODE_WAIT_SECONDS):
        raise DecodeBusy(
            "Many photos are being checked right now; send yours again in a minute.",
            retry_after=60,
        )
    try:
        yield
    finally:
        slots.release()


@dataclass
class CheckedPhotos:
    """A check's photos after reading: slot -> storable photo, slot -> why it was refused."""

    photos: dict[str, CleanSelfie] = field(default_factory=dict)
    rejected: dict[str, UploadRejected] = field(default_factory=dict)


def clean_photos(uploads: Mapping[str, object]) -> CheckedPhotos:
    """Reads each photo of a check in turn, in one decode slot (DecodeBusy when none is free)."""
    checked = CheckedPhotos()
    with decode_slot():
        for slot, upload in uploads.items():
            try:
                checked.photos[slot] = clean_selfie(upload)
            except UploadRejected as rejected:
                checked.rejected[slot] = rejected
    return checked


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def size_limits() -> str:
    """The sizes a check may have, as the page, the API and its errors state them."""
    return (
        f"up to {_megabytes(settings.DIAGNOSIS_MAX_UPLOAD_BYTES)} a photo and "
        f"{_megabytes(settings.DIAGNOSIS_MAX_CHECK_BYTES)} for the whole check"
    )


class OversizedPhoto(UploadedFile):
    """A photo past DIAGNOSIS_MAX_UPLOAD_BYTES, of which nothing was kept but its size."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(file=io.BytesIO(), name=name, size=size)


class PhotoSizeGuard(FileUploadHandler):
    """Put first among an upload view's handlers: a photo stops being kept (in memory or in a
    temporary file) once it passes DIAGNOSIS_MAX_UPLOAD_BYTES, and arrives as an
    ``OversizedPhoto`` that ``check_size`` refuses, so a 36 MB photo is never written out."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.DIAGNOSIS_MAX_UPLOAD_BYTES:
            self.oversized = True
        return None if self.oversized else raw_data  # None: the next handlers get nothing

    def file_complete(self, file_size: int) -> UploadedFile | None:
        return OversizedPhoto(self.file_name, file_size) if self.oversized else None


def check_size(upload) -> None:
    """What can be refused without reading the photo: an empty file, or one too large."""
    size = getattr(upload, "size", None)
    if not size:
        raise UploadRejected("empty", "The file is empty. Choose a photo and try again.")
    limit = settings.DIAGNOSIS_MAX_UPLOAD_BYTES
    if size > limit:
        raise UploadRejected(
            "too_large",
            f"The file is too large ({_megabytes(size)}); send a photo under {_megabytes(limit)}.",
        )


def clean_selfie(upload) -> CleanSelfie:
    """The storable selfie for an uploaded file (anything with ``size`` and ``read``/``seek``)."""
    check_size(upload)
    upload.seek(0)
    try:
        with Image.open(
            _CpuBudget(upload, settings.DIAGNOSIS_DECODE_CPU_SECONDS), formats=ACCEPTED_FORMATS
        ) as img:
            img.decodermaxblock = _CpuBudget.BLOCK
            _plan_decode(img, upload)
            picture = upright_rgb(_decode_reduced(img))
    except UploadRejected:
        raise
    except _TooSlow as exc:
        raise UploadRejected(
            "too_complex",
            "This photo takes too long to read. Send it as your phone's camera saved it.",
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(limit=settings.DIAGNOSIS_MAX_PIXELS) from exc
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


class _CpuBudget:
    """The upload as Pillow reads it, on a budget of this thread's CPU time. Pillow reads between
    calls to the decoder (``BLOCK`` bytes at a time), so a decode past its budget stops at its
    next read.

    Thread CPU time, not wall time: other requests' work does not count, the decoder's own (it
    runs outside the GIL) does. Nothing can stop one decoder call from the outside in a threaded
    web process (signals reach only the main thread, CPU rlimits end the whole process), which is
    why the scan and pixel limits bound each call's work before decoding starts.
    """

    BLOCK = 16 * 1024  # Pillow's default is 64 KB: a finer check, at no measurable cost

    def __init__(self, upload, seconds: float) -> None:
        self._upload = upload
        self._until = time.thread_time() + seconds

    def read(self, size: int = -1) -> bytes:
        if time.thread_time() > self._until:
            raise _TooSlow
        return self._upload.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._upload.seek(offset, whence)

    def tell(self) -> int:
        return self._upload.tell()


def _plan_decode(img: Image.Image, upload) -> None:
    """Refuses, from the header alone, a photo whose decode would cost too much, and sets a JPEG
    to decode no larger than needed: only ``DIAGNOSIS_STORED_MAX_SIDE`` is stored.

    A JPEG decodes straight at 1/2, 1/4 or 1/8 scale (``draft``). One of a single scan streams
    through the decoder at that scale, so only its reduced size must fit DIAGNOSIS_MAX_PIXELS;
    one of several scans (progressive) holds every coefficient of the full picture while it is
    decoded, and each scan is another pass over all of them, so it must fit at full size and
    have at most DIAGNOSIS_MAX_JPEG_SCANS scans. Other formats decode at full size.
    """
    width, height = img.size
    if img.format not in ("JPEG", "MPO"):  # MPO: a phone's JPEG with a depth map or preview
        _check_pixels(width, height, limit=settings.DIAGNOSIS_MAX_PIXELS)
        _check_min_side(width, height)
        return
    _check_pixels(width, height, limit=settings.DIAGNOSIS_MAX_JPEG_PIXELS)
    _check_min_side(width, height)
    scans = _jpeg_scans(upload, stop_after=settings.DIAGNOSIS_MAX_JPEG_SCANS)
    if scans > settings.DIAGNOSIS_MAX_JPEG_SCANS:
        raise UploadRejected(
            "too_complex",
            "This photo is saved in too many passes to read (a progressive JPEG of more than "
            f"{settings.DIAGNOSIS_MAX_JPEG_SCANS} scans). Send it as your phone's camera saved it.",
        )
    if img.mode in ("RGB", "L", "CMYK"):
        target = settings.DIAGNOSIS_STORED_MAX_SIDE
        img.draft(img.mode, (target, target))  # the largest scale still >= target
    decoded_width, decoded_height = img.size if scans <= 1 else (width, height)
    if decoded_width * decoded_height > settings.DIAGNOSIS_MAX_PIXELS:
        raise _too_many_pixels(width, height, limit=settings.DIAGNOSIS_MAX_PIXELS)


# A JPEG marker as libjpeg finds one: 0xFF, then a code that is not stuffing (0x00), a fill byte
# (0xFF), a restart marker or TEM (both stand alone, inside a scan or between segments).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\x01\xd0-\xd7\xff]")
_SOS, _EOI = 0xDA, 0xD9


def _jpeg_scans(upload, *, stop_after: int) -> int:
    """The scans (SOS segments) of a JPEG before its first EOI, counted past ``stop_after`` no
    further: each segment is skipped by its length, a scan's entropy-coded data up to the next
    marker (it cannot hold one: a 0xFF there is followed by 0x00). A search over the bytes,
    milliseconds for the largest upload, nothing decoded."""
    where = upload.tell()
    upload.seek(0)
    data = upload.read()
    upload.seek(where)
    scans, position = 0, 2  # after SOI
    while scans <= stop_after:
        marker = _JPEG_MARKER.search(data, position)
        if marker is None or data[marker.start() + 1] == _EOI:
            break
        start = marker.start()
        scans += data[start + 1] == _SOS
        length = int.from_bytes(data[start + 2 : start + 4], "big")
        position = start + 2 + max(length, 2)
    return scans


def _decode_reduced(img: Image.Image) -> Image.Image:
    """Decodes ``img`` (reduced already if a JPEG, ``_plan_decode``) and shrinks it by a whole
    factor toward ``DIAGNOSIS_STORED_MAX_SIDE`` (``reduce``: a box average, one small new
    picture) before anything else copies it. The result keeps ``img``'s EXIF for the
    orientation.
    """
    target = settings.DIAGNOSIS_STORED_MAX_SIDE
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


def _check_pixels(width: int, height: int, *, limit: int) -> None:
    # Checked from the header before decoding: a small file can claim an enormous canvas.
    if width * height > limit:
        raise _too_many_pixels(width, height, limit=limit)


def _check_min_side(width: int, height: int) -> None:
    minimum = settings.DIAGNOSIS_MIN_SIDE
    if min(width, height) < minimum:
        raise UploadRejected(
            "too_small",
            f"The photo is too small ({width}×{height} pixels); send one at least "
            f"{minimum}×{minimum}. A phone's front camera is plenty.",
        )


def _too_many_pixels(
    width: int | None = None, height: int | None = None, *, limit: int
) -> UploadRejected:
    what = f" ({width}×{height})" if width else ""
    return UploadRejected(
        "too_many_pixels",
        f"The photo has too many pixels{what}; send one under {limit // 1_000_000} megapixels.",
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
