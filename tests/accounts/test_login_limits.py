"""The failed log-in limits cannot be dodged: by another address of the same IPv6 /64, by
guessing in parallel, or by typing the e-mail instead of the username."""

from unittest import mock

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from skinshop import ratelimit
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def token_attempt(identifier: str, password: str, address: str = "127.0.0.1"):
    return APIClient().post(
        TOKEN_URL, {"username": identifier, "password": password}, REMOTE_ADDR=address
    )


@pytest.mark.parametrize(
    "address, bucket",
    [
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("192.0.2.7", "192.0.2.7"),
        (None, None),
    ],
)
def test_an_ipv6_address_counts_as_its_64(address, bucket):
    assert ratelimit.address_bucket(address) == bucket


def test_fresh_addresses_of_one_ipv6_64_share_the_failed_log_in_limit():
    UserFactory(username="sam")
    for host in range(1, 6):
        assert token_attempt("sam", "wrong", f"2001:db8:1:2::{host:x}").status_code == 401

    response = token_attempt("sam", PASSWORD, "2001:db8:1:2:dead:beef:0:1")

    assert response.status_code == 429
    assert token_attempt("sam", PASSWORD, "2001:db8:1:3::1").status_code == 200  # another /64


def test_the_username_and_the_e_mail_of_one_account_share_its_counter():
    UserFactory(username="alice", email="alice@example.com")
    for identifier in ("alice", "alice@example.com", "ALICE@example.com", "alice", "alice"):
        assert token_attempt(identifier, "wrong").status_code == 401

    assert token_attempt("alice@example.com", PASSWORD).status_code == 429
    assert token_attempt("alice", PASSWORD).status_code == 429


def test_parallel_guesses_are_counted_before_the_password_is_checked():
    UserFactory(username="sam")
    # Ten guesses arrive at once: each is counted before any password hash has finished.
    in_flight = []
    throttled = 0
    for _ in range(10):
        try:
            in_flight.append(services.login_attempt(username="sam", address="192.0.2.1"))
        except services.LoginThrottled:
            throttled += 1

    assert (len(in_flight), throttled) == (5, 5)


def test_the_password_hash_is_only_checked_once_the_attempt_is_counted():
    UserFactory(username="sam")
    seen = []

    def authenticate(request, **credentials):
        seen.append(
            ratelimit.count("login:sam:127.0.0.1", window_seconds=services.LOGIN_WINDOW_SECONDS)
        )

    with mock.patch("accounts.services.authenticate", side_effect=authenticate):
        assert token_attempt("sam", "wrong").status_code == 401

    assert seen == [1]


def test_the_log_in_entry_point_checks_the_password_and_counts_only_failures(rf):
    sam = UserFactory(username="sam", email="sam@example.com")
    request = rf.post("/", REMOTE_ADDR="192.0.2.9")

    def log_in(typed: str, password: str):
        return services.login_authenticate(request=request, username=typed, password=password)

    for _ in range(4):
        assert log_in("sam", "wrong") is None
    assert log_in("sam@example.com", PASSWORD) == sam  # given back: still 4 failures
    assert log_in("sam", "wrong") is None  # the 5th

    with pytest.raises(services.LoginThrottled) as throttled:
        log_in("sam", PASSWORD)
    assert throttled.value.status == 429 and 0 < throttled.value.retry_after <= 15 * 60


@pytest.mark.parametrize("door", ["accounts:login", "admin:login", "api:auth_token"])
def test_every_log_in_door_goes_through_the_one_entry_point(client, door):
    UserFactory(username="boss", is_staff=True)
    with mock.patch.object(
        services, "login_authenticate", wraps=services.login_authenticate
    ) as entry:
        client.post(reverse(door), {"username": "boss", "password": "wrong"})

    entry.assert_called_once()
    assert entry.call_args.kwargs["username"] == "boss"


def test_a_right_password_does_not_count_as_a_failure(client):
    UserFactory(username="sam")
    for _ in range(4):
        assert token_attempt("sam", "wrong").status_code == 401
    for _ in range(3):  # successes in between are given back
        assert token_attempt("sam", PASSWORD).status_code == 200
        assert client.post(
            reverse("accounts:login"), {"username": "sam", "password": PASSWORD}
        ).status_code == 302
        client.logout()

    assert token_attempt("sam", "wrong").status_code == 401  # the 5th failure
    assert token_attempt("sam", PASSWORD).status_code == 429


def test_the_admin_log_in_is_paused_after_repeated_failures_like_the_shops(client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    for _ in range(5):
        response = client.post(admin_login, {"username": "boss", "password": "wrong"})
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated

    response = client.post(admin_login, {"username": "boss", "password": PASSWORD})

    assert "Too many failed log-ins" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # still not signed in
    assert token_attempt("boss", PASSWORD).status_code == 429  # one counter for all doors


def test_staff_still_log_in_to_the_admin(client):
    UserFactory(username="boss", is_staff=True, is_superuser=True)

    response = client.post(reverse("admin:login"), {"username": "boss", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
