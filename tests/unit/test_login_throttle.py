"""Which address a login is counted against, and the per-process request rate (pure, with the
clock passed in)."""

from __future__ import annotations

import pytest

from lending.circulation import TooManyAttempts
from lending.services.access.throttle import RequestRate, client_address

PROXIES = ("10.0.0.0/8", "127.0.0.1/32")


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "expected"),
    [
        ("198.51.100.4", None, PROXIES, "198.51.100.4"),
        ("198.51.100.4", "1.2.3.4", PROXIES, "198.51.100.4"),  # not a proxy: header ignored
        ("198.51.100.4", "1.2.3.4", (), "198.51.100.4"),
        ("127.0.0.1", "1.2.3.4", (), "127.0.0.1"),  # no trusted proxies at all
        ("127.0.0.1", "203.0.113.9", PROXIES, "203.0.113.9"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.9", PROXIES, "203.0.113.9"),  # a forged first hop
        ("127.0.0.1", "203.0.113.9, 10.1.2.3", PROXIES, "203.0.113.9"),  # two proxies
        ("127.0.0.1", "10.1.2.3, 10.4.5.6", PROXIES, "10.1.2.3"),  # all trusted: the first
        ("127.0.0.1", "not-an-address", PROXIES, "127.0.0.1"),
        ("127.0.0.1", "", PROXIES, "127.0.0.1"),
        ("::1", "2001:db8::7", ("::1/128",), "2001:db8::7"),
        (None, None, PROXIES, ""),
    ],
)
def test_the_client_is_the_peer_unless_a_trusted_proxy_forwarded_it(
    peer, forwarded, proxies, expected
):
    assert client_address(peer, forwarded, proxies) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_login_requests_over_the_rate_are_refused_until_the_minute_has_passed():
    clock = Clock()
    rate = RequestRate(3, clock)
    for _ in range(3):
        rate.hit("a")
        clock.now += 10
    with pytest.raises(TooManyAttempts) as refused:
        rate.hit("a")
    assert refused.value.retry_after == 30  # the first request leaves the window at +60 s
    rate.hit("b")  # another client is not affected
    clock.now += 30
    rate.hit("a")
