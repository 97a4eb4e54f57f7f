"""A Ray cluster that wants a token (Ray 2.52 and later; `ray start --head` turns token
authentication on by itself once ~/.ray/auth_token exists) is named as such, with what to
do, never as a network fault. No cluster starts here: `ray.init` is made to fail as Ray's
own does."""

from __future__ import annotations

import pytest

from panchro.engine.cluster import run
from panchro.engine.errors import BadInputError


def _ray_like_failure() -> ConnectionError:
    """What Ray 2.60's `ray.init(address=...)` raises when the GCS says InvalidAuthToken."""
    try:
        try:
            raise RuntimeError(
                "Failed to connect to GCS. Last connection error: RpcError: "
                "UNAUTHENTICATED: InvalidAuthToken: no token in the request"
            )
        except RuntimeError as inner:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6379") from inner
    except ConnectionError as exc:
        return exc


def test_a_refused_token_is_said_with_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    message = run.connect_error_message("10.0.0.5:6379", _ray_like_failure())
    assert "token authentication" in message and "RAY_AUTH_MODE unset" in message, message
    assert "RAY_AUTH_MODE=token" in message and "RAY_AUTH_MODE=disabled" in message
    assert "~/.ray/auth_token" in message and "cannot reach" not in message


def test_rays_own_authentication_error_is_mapped_too() -> None:
    ray = pytest.importorskip("ray")
    exc = ray.exceptions.AuthenticationError(
        "Token authentication is enabled but no authentication token was found"
    )
    assert "refused this connection" in run.connect_error_message("h:6379", exc)


def test_a_bare_failure_after_the_port_answered_names_the_token_as_likely(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    message = run.connect_error_message("h:6379", ConnectionError("Failed to connect"))
    assert message.startswith("cannot reach the Ray cluster at h:6379: Failed to connect")
    assert "something answers at that port" in message and "RAY_AUTH_MODE=token" in message
    other = run.connect_error_message("h:6379", ValueError("bad address"))
    assert "token" not in other, other


def test_session_says_it_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    ray = pytest.importorskip("ray")
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(run, "check_reachable", lambda address: None)

    def refused(**_kwargs: object) -> None:
        raise _ray_like_failure()

    monkeypatch.setattr(ray, "init", refused)
    session = run.session("10.0.0.5:6379", list)
    with pytest.raises(BadInputError, match="uses token authentication"), session:
        pass
