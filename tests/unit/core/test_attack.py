"""ATT&CK tags as rules write them."""

from __future__ import annotations

from watchkeeper.core.attack import tactic_of


def test_tactic_of_reads_hyphens_and_underscores() -> None:
    assert tactic_of("attack.credential-access") == "credential-access"
    assert tactic_of("attack.Initial_Access") == "initial-access"
    assert tactic_of("attack.t1059.001") == ""
    assert tactic_of("attack.g0016") == "" and tactic_of("attack.s0002") == ""
    assert tactic_of("car.2013-01-002") == ""
