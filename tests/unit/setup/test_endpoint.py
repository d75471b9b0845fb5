"""The address the wizard proposes to devices is one they can reach: never localhost."""

from __future__ import annotations

import socket

import pytest

from watchkeeper.setup import endpoint


def test_a_full_name_is_proposed_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getfqdn", lambda: "office-pc.example.lan")
    assert endpoint.this_host() == "office-pc.example.lan"


def test_a_machine_whose_full_name_is_localhost_is_named_by_its_own_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getfqdn", lambda: "localhost")
    monkeypatch.setattr(socket, "gethostname", lambda: "office-pc")
    assert endpoint.this_host() == "office-pc"


def test_when_every_name_means_this_machine_its_network_address_is_proposed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(socket, "getfqdn", lambda: "localhost.localdomain")
    monkeypatch.setattr(socket, "gethostname", lambda: "127.0.1.1")
    # the address the system would send from (a real probe; nothing is sent), or the name
    # when this machine has no route at all
    outward = endpoint._outward_address()
    assert endpoint.this_host() == (outward or "127.0.1.1")
    if outward:
        assert not outward.startswith("127.")
