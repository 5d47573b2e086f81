"""Selfies, thumbnails and heatmaps in a private S3 bucket, against moto's S3 server on loopback.

The storage is built by skinshop/settings.py itself from the AWS_* variables, so these tests
check the settings a deployment gets. moto does not verify signatures: a signed URL is only
checked for its form, not for being refused once altered or expired.
"""

import runpy
import socket
import urllib.error
import urllib.request
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

from diagnosis import services
from diagnosis.uploads import clean_selfie
from tests.support.storage import use_private_storage

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BUCKET = "skinshop-media"
SETTINGS_FILE = Path(__file__).resolve().parents[2] / "skinshop" / "settings.py"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """An empty private bucket, and the "private" storage settings.py builds for it."""
    env = {
        **CREDENTIALS,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    configured = runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["private"]
    use_private_storage(settings, monkeypatch, configured)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def _anonymous_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_selfie_and_its_heatmap_live_privately_in_the_bucket_and_leave_it_on_delete(
    bucket, s3_endpoint, selfie_upload, analyzer, django_capture_on_commit_callbacks
):
    with mock.patch.object(services, "enqueue", return_value=True):
        diagnosis = services.create_diagnosis(
            selfie=clean_selfie(selfie_upload(grade=3)), guest_token="guest-s3"
        )
    selfie_key = f"private/diagnoses/{diagnosis.pk}/front/selfie.jpg"
    thumbnail_key = f"private/diagnoses/{diagnosis.pk}/front/thumb.jpg"
    assert _keys(bucket) == {selfie_key, thumbnail_key}
    stored = bucket.get_object(Bucket=BUCKET, Key=selfie_key)["Body"].read()
    assert stored[:2] == b"\xff\xd8"  # the cleaned JPEG went up as it is

    # The worker's steps read the selfie from the bucket and write the heatmap beside it.
    services.run_analysis(diagnosis.pk, analyzer=analyzer)
    diagnosis.refresh_from_db()
    assert diagnosis.status == diagnosis.Status.DONE, diagnosis.failure_reason
    heatmap_key = f"private/diagnoses/{diagnosis.pk}/front/heatmap.png"
    assert _keys(bucket) == {selfie_key, thumbnail_key, heatmap_key}

    for key in (selfie_key, thumbnail_key, heatmap_key):
        assert _anonymous_get(f"{s3_endpoint}/{BUCKET}/{key}") == 403
        grants = bucket.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Grantee"]["Type"] for g in grants] == ["CanonicalUser"]  # the owner only

    # What the pages hand out instead: a short-lived signed URL.
    url = diagnosis.photos.get().selfie.url
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == f"/{BUCKET}/{selfie_key}"
    assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Signature"]
    assert _anonymous_get(url) == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_diagnoses([diagnosis])

    assert _keys(bucket) == set()
