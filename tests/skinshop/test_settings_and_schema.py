"""Project-wide guarantees: the OpenAPI schema is clean and production settings are safe."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support.manage import manage

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns drf-spectacular's warnings (untyped parameters, clashing enum
    # names) into errors, so a sloppy endpoint fails here rather than in a client generator.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi:")


def test_the_api_docs_page_loads_its_scripts_from_the_shop_not_a_cdn(client):
    from django.contrib.staticfiles import finders

    page = client.get("/api/v1/docs/").content.decode()

    assert "cdn.jsdelivr" not in page and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# What production needs besides the secret key (README, "What production refuses to start
# without"); a staging shop may run on the test gateway when it says so.
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "PAYMENT_ALLOW_TEST_GATEWAY": "true",
    "CACHE_URL": "redis://127.0.0.1:6379/1",  # connected to on first use only
    "SITE_URL": "https://shop.example.com",
    # The model cleared for commercial use (the default one is refused: test_model_terms).
    "DIAGNOSIS_MODEL": "synthetic",
}


def test_production_settings_pass_the_deploy_check():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode == 0, result.stderr


def test_production_refuses_to_start_on_the_test_gateway_unless_told_it_is_a_staging_shop():
    env = {**PRODUCTION, "ALLOWED_HOSTS": "shop.example.com"}
    del env["PAYMENT_ALLOW_TEST_GATEWAY"]

    refused = manage("check", **env)
    named_elsewhere = manage(
        "shell", "-c", "from orders.payments import get_gateway; get_gateway()",
        **env, PAYMENT_GATEWAY="tests.orders.test_payments.RenamedTestGateway",
    )

    assert refused.returncode != 0
    assert "PAYMENT_GATEWAY must name a real payment provider" in refused.stderr
    assert named_elsewhere.returncode != 0
    assert "takes no money" in named_elsewhere.stderr


@pytest.mark.parametrize("cache_url", [None, "locmemcache://", "dummycache://"])
def test_production_refuses_to_start_on_a_cache_each_process_keeps_to_itself(cache_url):
    env = {**PRODUCTION, "ALLOWED_HOSTS": "shop.example.com"}
    del env["CACHE_URL"]
    if cache_url:
        env["CACHE_URL"] = cache_url

    result = manage("check", **env)

    assert result.returncode != 0
    assert "CACHE_URL must name a cache shared by every web process" in result.stderr


def test_production_refuses_the_academic_only_model_unless_told_it_is_a_research_shop():
    env = {**PRODUCTION, "ALLOWED_HOSTS": "shop.example.com", "DIAGNOSIS_MODEL": "real"}

    deploy = manage("check", "--deploy", **env)
    start = manage("migrate", "--check", **env)
    research = manage(
        "check", "--deploy", "--fail-level", "WARNING", **env,
        DIAGNOSIS_ALLOW_NONCOMMERCIAL_MODEL="true",
    )

    for refused in (deploy, start):
        assert refused.returncode != 0
        assert "diagnosis.E002" in refused.stderr
        assert "DIAGNOSIS_MODEL=synthetic" in refused.stderr
    assert research.returncode == 0, research.stderr


@pytest.mark.parametrize("site_url", [None, "", "shop.example.com"])
def test_production_refuses_to_start_without_the_shops_address(site_url):
    # The first ALLOWED_HOSTS name is a private address here: no guess may be taken from it.
    env = {**PRODUCTION, "ALLOWED_HOSTS": "10.0.0.11,shop.example.com"}
    del env["SITE_URL"]
    if site_url is not None:
        env["SITE_URL"] = site_url

    result = manage("check", **env)

    assert result.returncode != 0
    assert "SITE_URL must be set in production" in result.stderr


def test_the_production_api_schema_publishes_no_sandbox_card_numbers():
    local = manage("spectacular", "--format", "openapi-json", DJANGO_ENV="local")
    production = manage(
        "spectacular", "--format", "openapi-json", **PRODUCTION, ALLOWED_HOSTS="shop.example.com"
    )

    assert production.returncode == 0, production.stderr
    assert "4242" in local.stdout
    assert "4242" not in production.stdout and "4000" not in production.stdout


def test_static_files_are_served_without_collectstatic_outside_production(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).strip()


def test_in_production_the_health_check_answers_plain_http_while_pages_redirect():
    probe = (
        "from django.test import Client; c = Client(); "
        "print(c.get('/healthz').status_code, c.get('/').status_code)"
    )
    result = manage(
        "shell",
        "-c",
        probe,
        **PRODUCTION,
        ALLOWED_HOSTS="testserver",
    )
    assert result.returncode == 0, result.stderr
    # (the shell first says how many objects it imported)
    assert result.stdout.strip().splitlines()[-1].split() == ["200", "301"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/products/", "/api/v1/orders/", "/api/v1/diagnoses/"])
def test_an_empty_page_number_is_not_found_on_every_list(admin_client, url):
    response = admin_client.get(url, {"page": ""})

    assert response.status_code == 404
    assert "Invalid page" in response.json()["message"]


def test_migrate_creates_a_var_dir_that_does_not_exist_yet(tmp_path):
    var_dir = tmp_path / "not" / "there" / "yet"

    result = manage("migrate", "--noinput", DJANGO_ENV="local", VAR_DIR=str(var_dir))

    assert result.returncode == 0, result.stderr
    assert (var_dir / "db.sqlite3").is_file()


def test_a_var_dir_that_cannot_be_created_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = manage("check", DJANGO_ENV="local", VAR_DIR=str(blocker / "var"))

    assert result.returncode != 0
    assert f"The folder {blocker / 'var'} for the SQLite database" in result.stderr
