"""Every response carries the Content-Security-Policy, and the shop's pages need no inline
script to work under it (the browser tests check the pages themselves: tests/e2e/test_csp.py)."""

import re

import pytest

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/cart/",
        "/routine/",
        "/diagnosis/",
        "/accounts/login/",
        "/api/v1/docs/",
        "/api/v1/cart/",
        "/admin/login/",
        "/healthz",
    ],
)
def test_every_answer_carries_the_policy(client, url):
    response = client.get(url)

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"


@pytest.mark.parametrize(
    "url", ["/", "/cart/", "/routine/", "/diagnosis/", "/accounts/signup/", "/api/v1/docs/"]
)
def test_the_shops_pages_have_no_inline_script(client, url):
    html = client.get(url).content.decode()

    assert not INLINE_SCRIPT.findall(html)


def test_images_from_the_media_bucket_are_allowed_when_media_are_on_s3():
    from tests.support.manage import manage

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['img-src']))",
        DJANGO_ENV="local",
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_S3_REGION_NAME="eu-west-3",
    )

    assert result.returncode == 0, result.stderr
    sources = result.stdout.strip().splitlines()[-1].split()
    assert "https://shop-media.s3.amazonaws.com" in sources
    assert "https://shop-media.s3.eu-west-3.amazonaws.com" in sources
