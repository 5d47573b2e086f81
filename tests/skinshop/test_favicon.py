"""The shop has an icon: every page names it, and /favicon.ico leads to it."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_pages_name_the_shops_icon_and_the_file_exists(client):
    html = client.get("/routine/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert finders.find("favicon.svg")


@pytest.mark.parametrize("method", ["get", "head"])
def test_favicon_ico_redirects_to_the_icon(client, method):
    response = getattr(client, method)("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
