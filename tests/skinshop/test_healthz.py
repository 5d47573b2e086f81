"""GET /healthz: what the load balancer polls."""


def test_health_check_answers_ok_without_touching_the_database(client):
    # No django_db mark: pytest-django makes any database access here an error. A database
    # outage must not take every web server out of the load balancer at once.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]  # a proxy must never answer for us


def test_health_check_answers_head_and_refuses_writes(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
