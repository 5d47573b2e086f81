"""What an uploaded selfie must be: each refused kind says why and queues nothing; what passes
is stored upright and without any metadata."""

import io
import random
import struct
import zlib
from unittest import mock

import pillow_heif
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis
from tests.diagnosis.factories import api_post_selfie, selfie_bytes, stored_names
from tests.diagnosis.web import front

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> APIClient:
    """An anonymous browser: its session owns what it uploads."""
    cache.clear()  # no upload counted by an earlier test
    return APIClient()


@pytest.fixture
def sent():
    """``services.enqueue`` replaced: what would have gone to the broker."""
    with mock.patch.object(services, "enqueue", return_value=True) as enqueue:
        yield enqueue


def png_claiming(width: int, height: int) -> bytes:
    """A few dozen bytes of 1-bit PNG whose header claims a ``width``×``height`` canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "image/jpeg")


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512">
  <script>alert(document.cookie)</script><circle cx="256" cy="256" r="200"/>
</svg>"""
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"


def _rejected_kinds():
    """(test id, upload or None for no field, setting overrides, code, words of the message)."""
    return [
        (
            "random bytes",
            jpeg("selfie.jpg", random.Random(0).randbytes(4096)),
            {},
            "not_an_image",
            "not a photo we can read",
        ),
        (
            "truncated jpeg",
            jpeg("selfie.jpg", selfie_bytes()[:6000]),
            {},
            "damaged",
            "damaged or incomplete",
        ),
        ("svg named .jpg", jpeg("selfie.jpg", SVG), {}, "not_an_image", "not a photo"),
        ("html named .jpg", jpeg("selfie.jpg", HTML), {}, "not_an_image", "not a photo"),
        (
            "too many bytes",
            jpeg("selfie.jpg", selfie_bytes()),
            {"DIAGNOSIS_MAX_UPLOAD_BYTES": 10_000},
            "too_large",
            "too large",
        ),
        (
            "a small png claiming 8000x8000",
            SimpleUploadedFile("bomb.png", png_claiming(8000, 8000), "image/png"),
            {},
            "too_many_pixels",
            "too many pixels (8000×8000)",
        ),
        (
            "a png past pillow's own bomb limit",
            SimpleUploadedFile("bomb.png", png_claiming(30000, 30000), "image/png"),
            {},
            "too_many_pixels",
            "too many pixels",
        ),
        (
            "more pixels than the setting allows",
            jpeg("selfie.jpg", selfie_bytes(size=600)),
            {"DIAGNOSIS_MAX_PIXELS": 300_000},
            "too_many_pixels",
            "too many pixels (600×600)",
        ),
        (
            "too small",
            jpeg("selfie.jpg", selfie_bytes(size=100)),
            {},
            "too_small",
            "too small (100×100",
        ),
        ("empty file", jpeg("selfie.jpg", b""), {}, "empty", "The file is empty"),
    ]


@pytest.mark.parametrize(
    "upload, overrides, code, words",
    [kind[1:] for kind in _rejected_kinds()],
    ids=[kind[0] for kind in _rejected_kinds()],
)
def test_each_refused_kind_says_why_and_queues_nothing(
    upload, overrides, code, words, client, settings, sent, django_capture_on_commit_callbacks
):
    for name, value in overrides.items():
        setattr(settings, name, value)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_post_selfie(client, upload)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert words in body["message"]
    assert body["errors"]["image"] == [body["message"].removeprefix("image: ")]
    assert not Diagnosis.objects.exists()
    assert stored_names() == []
    assert callbacks == []
    sent.assert_not_called()


def test_each_refused_kind_has_a_message_of_its_own(client, settings):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 10_000
    uploads = {
        "not_an_image": jpeg("a.jpg", HTML),
        "damaged": jpeg("a.jpg", selfie_bytes()[:6000]),
        "too_large": jpeg("a.jpg", random.Random(1).randbytes(20_000)),
        "too_many_pixels": SimpleUploadedFile("a.png", png_claiming(8000, 8000)),
        "too_small": jpeg("a.jpg", selfie_bytes(size=100)),
        "empty": jpeg("a.jpg", b""),
        "required": None,
    }

    messages = {code: api_post_selfie(client, upload).json() for code, upload in uploads.items()}

    assert {code: body["code"] for code, body in messages.items()} == {c: c for c in uploads}
    assert len({body["message"] for body in messages.values()}) == len(uploads)


def _heif(size: int = 512) -> bytes:
    picture = Image.open(io.BytesIO(selfie_bytes(size=size)))
    out = io.BytesIO()
    pillow_heif.from_pillow(picture).save(out, format="HEIF")
    return out.getvalue()


@pytest.mark.parametrize(
    "name, data",
    [
        ("selfie.jpg", lambda: selfie_bytes(fmt="JPEG")),
        ("selfie.png", lambda: selfie_bytes(fmt="PNG")),
        ("selfie.webp", lambda: selfie_bytes(fmt="WEBP")),
        ("IMG_0001.HEIC", _heif),
    ],
    ids=["jpeg", "png", "webp", "heic"],
)
def test_phone_and_browser_formats_are_accepted_and_stored_as_jpeg(name, data, client, sent):
    content = data()

    upload = SimpleUploadedFile(name, content, "application/octet-stream")
    response = api_post_selfie(client, upload)

    assert response.status_code == 201, response.json()
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    with photo.selfie.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB"
        assert stored.size == (512, 512) == (photo.selfie_width, photo.selfie_height)


def test_heic_test_data_really_is_heif():
    # The HEIC case above proves something only if pillow-heif can encode here.
    assert _heif()[4:12] == b"ftypheic"


def _as_a_phone_stores_it(upright: Image.Image) -> bytes:
    """``upright`` as a phone stores a portrait selfie: a JPEG with the pixels sideways, EXIF
    orientation 6 ("rotate 90° clockwise to show"), and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    out = io.BytesIO()
    upright.rotate(90, expand=True).save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def _phone_photo_with_gps_lying_on_its_side() -> bytes:
    """A 300×400 portrait with a red marker top right, stored sideways (400×300)."""
    picture = Image.new("RGB", (300, 400), (200, 170, 150))
    picture.paste((255, 0, 0), (240, 0, 300, 60))
    return _as_a_phone_stores_it(picture)


def test_the_stored_selfie_is_upright_and_carries_no_exif_at_all(client, sent):
    original = _phone_photo_with_gps_lying_on_its_side()
    with Image.open(io.BytesIO(original)) as sent_photo:  # the test photo has what we strip
        assert sent_photo.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef]

    response = api_post_selfie(client, jpeg("selfie.jpg", original))

    assert response.status_code == 201, response.json()
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    with photo.selfie.open("rb") as handle:
        stored_bytes = handle.read()
    with Image.open(io.BytesIO(stored_bytes)) as stored:
        assert stored.size == (300, 400) == (photo.selfie_width, photo.selfie_height)
        assert not stored.getexif() and "exif" not in stored.info
        red, green, _ = stored.getpixel((270, 30))
        assert red > 200 and green < 60  # the marker turned with the picture
        assert stored.getpixel((30, 30))[1] > 120
    assert b"Exif" not in stored_bytes and b"PhoneMaker" not in stored_bytes


def test_the_thumbnail_is_the_upright_centre_square_at_128_px_without_exif(client, sent):
    # A 300×500 portrait: blue bands above and below a square, red on its left, green right.
    picture = Image.new("RGB", (300, 500), (0, 0, 255))
    picture.paste((255, 0, 0), (0, 100, 150, 400))
    picture.paste((0, 255, 0), (150, 100, 300, 400))

    response = api_post_selfie(client, jpeg("selfie.jpg", _as_a_phone_stores_it(picture)))

    assert response.status_code == 201, response.json()
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    assert photo.thumbnail.name == f"diagnoses/{response.json()['id']}/front/thumb.jpg"
    with photo.thumbnail.open("rb") as handle:
        thumbnail_bytes = handle.read()
    with Image.open(io.BytesIO(thumbnail_bytes)) as thumbnail:
        assert thumbnail.format == "JPEG" and thumbnail.mode == "RGB"
        assert thumbnail.size == (128, 128)
        assert not thumbnail.getexif() and "exif" not in thumbnail.info
        # Cropped to the centre square (no blue band) and upright (red left, green right),
        # not squashed or turned.
        for y in (8, 64, 120):
            left, right = thumbnail.getpixel((20, y)), thumbnail.getpixel((108, y))
            assert left[0] > 200 and left[1] < 60 and left[2] < 60
            assert right[1] > 200 and right[0] < 60 and right[2] < 60
    assert b"Exif" not in thumbnail_bytes and b"PhoneMaker" not in thumbnail_bytes


def test_a_photo_without_a_face_is_accepted_then_fails_with_its_reason(
    client, sent, analyzer, django_capture_on_commit_callbacks
):
    wall = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(wall, format="JPEG")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_post_selfie(client, jpeg("wall.jpg", wall.getvalue()))

    assert response.status_code == 201 and response.json()["status"] == "queued"
    sent.assert_called_once()
    services.run_analysis(response.json()["id"], analyzer=analyzer)
    body = client.get(response["Location"]).json()
    assert body["status"] == "failed" and body["failure_code"] == "no_face"
    assert "No face" in body["failure_reason"]
    assert body["grade"] is None and body["heatmap_url"] is None


SECRET_NOTE = "Taken at 12 Rue de la Paix by Sam"


def _jpeg_with_comment() -> bytes:
    return selfie_bytes(fmt="JPEG", comment=SECRET_NOTE.encode())


def _png_with_text(kind: str) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if kind == "tEXt":
        info.add_text("comment", SECRET_NOTE)
    elif kind == "zTXt":
        info.add_text("comment", SECRET_NOTE, zip=True)
    else:  # iTXt
        info.add_itxt("comment", SECRET_NOTE, lang="en", tkey="comment")
    return selfie_bytes(fmt="PNG", pnginfo=info)


def _jpeg_with_xmp() -> bytes:
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><note>{SECRET_NOTE}</note></x:xmpmeta>'
    return selfie_bytes(fmt="JPEG", xmp=xmp.encode())


@pytest.mark.parametrize(
    "name, data",
    [
        ("selfie.jpg", _jpeg_with_comment),
        ("selfie.jpg", _jpeg_with_xmp),
        ("selfie.png", lambda: _png_with_text("tEXt")),
        ("selfie.png", lambda: _png_with_text("zTXt")),
        ("selfie.png", lambda: _png_with_text("iTXt")),
    ],
    ids=["jpeg comment", "jpeg xmp", "png tEXt", "png zTXt", "png iTXt"],
)
def test_no_comment_or_text_metadata_reaches_the_stored_selfie_or_its_thumbnail(
    name, data, client, sent
):
    content = data()
    with Image.open(io.BytesIO(content)) as sent_photo:  # the test photo has what we strip
        assert SECRET_NOTE in str(sent_photo.info) or SECRET_NOTE.encode() in content

    response = api_post_selfie(client, SimpleUploadedFile(name, content, "image/octet-stream"))

    assert response.status_code == 201, response.json()
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    for stored_file in (photo.selfie, photo.thumbnail):
        with stored_file.open("rb") as handle:
            stored_bytes = handle.read()
        with Image.open(io.BytesIO(stored_bytes)) as stored:
            assert set(stored.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density",
                                        "dpi", "progressive", "progression"}, stored.info
        assert b"Rue de la Paix" not in stored_bytes


# --- the cost of a decode -------------------------------------------------------------------


def _palette_png(side: int) -> bytes:
    picture = Image.new("P", (side, side), 0)
    picture.putpalette([value for index in range(256) for value in (index, 128, 255 - index)])
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_a_small_palette_png_claiming_40_megapixels_is_refused_before_decoding(client, sent):
    content = _palette_png(6300)  # ~40 KB that decoded to hundreds of MB
    assert len(content) < 100_000

    with mock.patch.object(Image.Image, "load", autospec=True) as load:
        response = api_post_selfie(client, SimpleUploadedFile("p.png", content, "image/png"))

    assert response.status_code == 400 and response.json()["code"] == "too_many_pixels"
    load.assert_not_called()
    # Pillow's own guard follows the shop's ceiling (its default was 89 MP, refusing at 178 MP).
    assert Image.MAX_IMAGE_PIXELS == 120_000_000


def _post_noting_decoded_sizes(client, upload):
    """The API's answer to ``upload``, and the size of each picture as decoded (what reaches
    the colour conversion)."""
    from diagnosis import uploads

    seen = []
    real = uploads.upright_rgb

    def spy(img):
        seen.append(img.size)
        return real(img)

    with mock.patch.object(uploads, "upright_rgb", spy):
        return api_post_selfie(client, upload), seen


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_large_photo_reaches_the_colour_conversion_already_reduced(fmt, client, sent):
    """Only 1600 px are stored: a big photo is decoded small (JPEG draft) or reduced by a whole
    factor before the full-size RGB copy that turning it upright would make."""
    picture = Image.new("RGB", (4800, 3600), (200, 170, 150))
    picture.paste((255, 0, 0), (4200, 0, 4800, 600))  # a red marker top right
    out = io.BytesIO()
    picture.save(out, format=fmt)

    response, seen = _post_noting_decoded_sizes(
        client, SimpleUploadedFile(f"big.{fmt}", out.getvalue())
    )

    assert response.status_code == 201, response.json()
    assert max(seen[0]) <= 2 * 1600, seen
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    assert (photo.selfie_width, photo.selfie_height) == (1600, 1200)
    with photo.selfie.open("rb") as handle, Image.open(handle) as stored:
        red, green, _ = stored.getpixel((1550, 50))
        assert red > 200 and green < 60


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_large_photo_on_its_side_is_decoded_reduced_and_stored_upright(fmt, client, sent):
    picture = Image.new("RGB", (3000, 4000), (200, 170, 150))
    picture.paste((255, 0, 0), (2400, 0, 3000, 600))  # red marker top right, upright
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: "turn 90° clockwise to show"
    out = io.BytesIO()
    picture.rotate(90, expand=True).save(out, format=fmt, exif=exif)

    response = api_post_selfie(client, SimpleUploadedFile(f"selfie.{fmt}", out.getvalue()))

    assert response.status_code == 201, response.json()
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    assert (photo.selfie_width, photo.selfie_height) == (1200, 1600)
    with photo.selfie.open("rb") as handle, Image.open(handle) as stored:
        red, green, _ = stored.getpixel((1150, 50))
        assert red > 200 and green < 60


def test_uploads_beyond_the_concurrent_decodes_wait_then_are_told_to_come_back(
    client, settings, sent
):
    from diagnosis import uploads

    settings.DIAGNOSIS_MAX_CONCURRENT_DECODES = 1
    settings.DIAGNOSIS_DECODE_WAIT_SECONDS = 0
    settings.DIAGNOSIS_RATE_PER_USER = 1
    slots = uploads._decode_slots.semaphore()
    assert slots.acquire(blocking=False)  # another request is decoding
    try:
        busy = api_post_selfie(client, jpeg("selfie.jpg", selfie_bytes()))
    finally:
        slots.release()
    afterwards = api_post_selfie(client, jpeg("selfie.jpg", selfie_bytes()))

    assert busy.status_code == 503 and busy.json()["code"] == "busy"
    assert "again in a minute" in busy.json()["message"]
    assert int(busy["Retry-After"]) > 0
    # The server refused, not the shopper: the one photo an hour was not spent on it.
    assert afterwards.status_code == 201, afterwards.json()


# --- progressive JPEGs, scan bombs and phone photos -------------------------------------------


def scan_bomb(side: int = 1024, scans: int = 1000) -> bytes:
    """A valid greyscale progressive JPEG padded with ``scans`` empty AC-refinement scans
    (~42 bytes each). libjpeg treats them as warnings and makes another pass over every block
    for each: at 4896×4896, 1000 of them cost minutes of CPU in under 150 KB."""
    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, format="JPEG", progressive=True)
    data = out.getvalue()
    assert data.endswith(b"\xff\xd9")
    # SOS of the one component: bands 1-63, successive approximation Ah=1, Al=0.
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + bytes([1, 0x00, 1, 63, 0x10])
    return data[:-2] + (sos + bytes(32)) * scans + b"\xff\xd9"


@pytest.mark.parametrize("side, scans", [(1024, 1000), (4896, 1000)])
def test_a_progressive_jpeg_padded_with_scans_is_refused_before_decoding(
    side, scans, client, sent, django_capture_on_commit_callbacks
):
    content = scan_bomb(side, scans)
    assert len(content) < 150_000

    with (
        mock.patch.object(Image.Image, "load", autospec=True) as load,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_post_selfie(client, jpeg("selfie.jpg", content))

    assert response.status_code == 400
    assert response.json()["code"] == "too_complex"
    assert "more than 40 scans" in response.json()["message"]
    load.assert_not_called()
    assert not Diagnosis.objects.exists()
    sent.assert_not_called()


def test_a_decode_past_its_cpu_budget_is_stopped_and_refused(client, settings, sent):
    # With the scan limit out of the way, only the CPU budget stands between this file and
    # seconds of decoding.
    settings.DIAGNOSIS_MAX_JPEG_SCANS = 100_000
    settings.DIAGNOSIS_DECODE_CPU_SECONDS = 0.1

    response = api_post_selfie(client, jpeg("selfie.jpg", scan_bomb(1024, 6000)))

    assert response.status_code == 400
    assert response.json()["code"] == "too_complex"
    assert "takes too long to read" in response.json()["message"]
    assert not Diagnosis.objects.exists()


def _jpeg_of(picture: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", **save)
    return out.getvalue()


def _with_exif_thumbnail(baseline: bytes) -> bytes:
    """``baseline`` with an APP1 segment holding a whole small JPEG (SOS and all), as a
    camera's EXIF thumbnail: its scan is inside a segment and not the picture's."""
    thumbnail = _jpeg_of(Image.new("RGB", (160, 120), (90, 90, 90)))
    payload = b"Exif\x00\x00" + thumbnail
    return baseline[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + baseline[2:]


def test_the_scans_are_counted_as_the_decoder_reads_them():
    from diagnosis.uploads import _jpeg_scans

    picture = Image.new("RGB", (640, 480), (200, 160, 140))
    baseline = _jpeg_of(picture)

    def scans(data: bytes) -> int:
        return _jpeg_scans(io.BytesIO(data), stop_after=1000)

    assert scans(baseline) == 1
    assert scans(_with_exif_thumbnail(baseline)) == 1
    assert scans(_jpeg_of(picture, progressive=True)) == 10  # libjpeg's own progression
    assert scans(scan_bomb(256, 500)) == 506  # greyscale progression (6) and the padding
    # What follows the picture's end (a phone's second picture, a depth map) is not read.
    assert scans(baseline + _jpeg_of(picture, progressive=True)) == 1


def test_a_real_progressive_jpeg_is_accepted(client, sent):
    content = _jpeg_of(Image.open(io.BytesIO(selfie_bytes())), progressive=True, quality=90)

    response = api_post_selfie(client, jpeg("selfie.jpg", content))

    assert response.status_code == 201, response.json()


# MPO: a phone's JPEG that carries a second picture (a depth map, a preview), as Pillow opens it.
@pytest.mark.parametrize("fmt", ["JPEG", "MPO"])
def test_a_48_megapixel_phone_photo_is_read_reduced_and_stored_at_the_usual_size(
    fmt, client, sent
):
    picture = Image.new("L", (8000, 6000), 150)  # greyscale: the test holds 48 MB, not 192
    picture.paste(255, (7000, 0, 8000, 1000))  # a white marker top right
    out = io.BytesIO()
    extra = {"save_all": True, "append_images": [Image.new("L", (320, 240))]}
    picture.save(out, format=fmt, quality=90, **(extra if fmt == "MPO" else {}))
    content = out.getvalue()
    del picture
    assert Image.open(io.BytesIO(content)).format == fmt

    response, seen = _post_noting_decoded_sizes(client, jpeg("IMG_0001.jpg", content))

    assert response.status_code == 201, response.json()
    assert seen[0][0] * seen[0][1] <= 24_000_000 // 4, seen  # decoded at half size or less
    photo = front(Diagnosis.objects.get(pk=response.json()["id"]))
    assert (photo.selfie_width, photo.selfie_height) == (1600, 1200)
    with photo.selfie.open("rb") as handle, Image.open(handle) as stored:
        assert stored.getpixel((1550, 50))[0] > 230 and stored.getpixel((50, 1150))[0] < 170


def _claiming_size(content: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF) claims ``width``×``height``."""
    sof = content.index(b"\xff\xc0") if b"\xff\xc0" in content else content.index(b"\xff\xc2")
    return content[: sof + 5] + struct.pack(">HH", height, width) + content[sof + 9 :]


@pytest.mark.parametrize(
    "progressive, width, height, limit",
    [(True, 8000, 6000, 24), (False, 12000, 11000, 120)],
    ids=["a progressive 48 MP jpeg", "a 132 MP jpeg"],
)
def test_jpegs_past_what_a_reduced_read_can_bound_are_refused_before_decoding(
    progressive, width, height, limit, client, sent
):
    picture = Image.new("L", (512, 512))
    content = _claiming_size(_jpeg_of(picture, progressive=progressive), width, height)

    with mock.patch.object(Image.Image, "load", autospec=True) as load:
        response = api_post_selfie(client, jpeg("selfie.jpg", content))

    assert response.status_code == 400 and response.json()["code"] == "too_many_pixels"
    assert f"({width}×{height}); send one under {limit} megapixels" in response.json()["message"]
    load.assert_not_called()
