"""The firewall fw01: iptables (UFW) packet logs sent as RFC 5424 syslog."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from watchkeeper.scenarios.clock import Clock, milliseconds, time_of_day
from watchkeeper.scenarios.destinations import INTERNET_DESTINATIONS
from watchkeeper.scenarios.office import (
    DC_IP,
    DNS_FORWARDER,
    FIREWALL_RHYTHM,
    PCS,
    PHONES,
    PUBLIC_IP,
    WEB_IP,
)
from watchkeeper.scenarios.sources import EPHEMERAL_PORTS, Action, Activity, Source, StoryLine

WAN, LAN = "eth0", "eth1"
WAN_MAC = "00:16:3e:4a:10:01:3c:61:04:7e:22:90:08:00"
SCANNED_PORTS = (
    23,
    445,
    3389,
    8080,
    1433,
    5900,
    6379,
    8443,
    3306,
    25,
    81,
    2323,
    5555,
    9200,
    135,
    139,
)
PHONE_DESTINATIONS = (
    ("157.240.221.60", 443),
    ("142.250.187.206", 443),
    ("172.217.169.3", 443),
    ("52.97.146.162", 443),
    ("52.113.194.132", 443),
    ("151.101.0.81", 443),
)
# First octets of ordinary public space; the documentation ranges stay for the stories.
PUBLIC_OCTETS = (
    5,
    23,
    31,
    37,
    45,
    46,
    61,
    77,
    79,
    80,
    85,
    89,
    91,
    92,
    93,
    94,
    103,
    104,
    109,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    121,
    122,
    123,
    124,
    125,
    141,
    146,
    147,
    152,
    154,
    157,
    159,
    161,
    162,
    164,
    165,
    167,
    170,
    171,
    175,
    176,
    177,
    178,
    179,
    180,
    181,
    182,
    183,
    185,
    186,
    187,
    188,
    189,
    190,
    193,
    194,
    195,
    196,
    197,
    200,
    201,
    202,
    210,
    211,
    212,
    213,
    217,
    218,
    219,
    220,
    221,
    222,
)


def public_addresses(rng: random.Random, count: int) -> tuple[str, ...]:
    """Internet addresses for scanners and visitors, drawn once per scenario."""
    return tuple(
        f"{rng.choice(PUBLIC_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}."
        f"{rng.randrange(1, 255)}"
        for _ in range(count)
    )


@dataclass(frozen=True)
class Packet:
    """A story's firewall log line: one new connection, allowed or blocked."""

    action: str  # ALLOW or BLOCK
    inbound: bool  # arrived on the WAN side
    src: str
    dst: str
    proto: str  # TCP or UDP
    spt: int
    dpt: int
    forwarded: bool = True  # passed on to the LAN (or out to the internet), not to fw01 itself


class FirewallSource(Source):
    """fw01's kernel log lines, relayed by rsyslog in RFC 5424 form.

    A line is joined from pieces made once per address and port: the stamp, the part
    naming the interfaces and source, the destination, the IP header and the TCP/UDP part.
    """

    def __init__(
        self,
        clock: Clock,
        rng: random.Random,
        share: float,
        scanners: tuple[str, ...],
        visitors: tuple[str, ...],
    ) -> None:
        super().__init__("network/fw01.log", share, FIREWALL_RHYTHM, clock, rng)
        self.scanners = scanners
        self.visitors = visitors
        self._people: list[Activity] = []
        self._background: list[Activity] = []

    def start(self, write: Callable[[str], object]) -> None:
        super().start(write)
        pcs, phones = tuple(pc.ip for pc in PCS), tuple(phone.ip for phone in PHONES)
        self._people = [
            Activity(10.0, self._flow("ALLOW", pcs, INTERNET_DESTINATIONS)),
            Activity(3.0, self._flow("ALLOW", phones, PHONE_DESTINATIONS)),
            Activity(0.2, self._flow("BLOCK", pcs, tuple((ip, 445) for ip in self.scanners[:40]))),
            Activity(3.0, self._flow("ALLOW", (DC_IP,), ((DNS_FORWARDER, 53),), udp=True)),
        ]
        self._background = [
            Activity(
                8.0,
                self._flow(
                    "BLOCK",
                    self.scanners,
                    tuple((PUBLIC_IP, port) for port in SCANNED_PORTS),
                    inbound=True,
                    forwarded=False,
                    scan=True,
                ),
            ),
            Activity(
                4.0,
                self._flow(
                    "ALLOW", self.visitors, ((WEB_IP, 443),) * 7 + ((WEB_IP, 80),), inbound=True
                ),
            ),
            Activity(
                0.6, self._flow("ALLOW", self.scanners, ((WEB_IP, 22),), inbound=True, scan=True)
            ),
            Activity(1.0, self._flow("ALLOW", (DC_IP,), ((DNS_FORWARDER, 53),), udp=True)),
            Activity(0.3, self._flow("ALLOW", (DC_IP,), (("162.159.200.1", 123),), udp=True)),
            Activity(0.2, self._flow("ALLOW", (WEB_IP,), (("151.101.2.132", 80),))),
        ]

    def people(self) -> list[Activity]:
        return self._people

    def background(self) -> list[Activity]:
        return self._background

    def filler(self) -> Action:
        return self._background[0].action

    def write_story(self, line: StoryLine) -> None:
        p = line.payload
        if not isinstance(p, Packet):
            raise TypeError(f"{self.path}: not a packet: {p!r}")
        udp = p.proto == "UDP"
        self.write(
            "".join(
                (
                    self._stamp(line.t_ms),
                    _head(p.action, p.inbound, p.forwarded, p.src),
                    p.dst,
                    self._ip_header(p.inbound, p.src, udp, False),
                    str(self.rng.getrandbits(16)),
                    _transport(p.action, p.inbound, udp),
                    str(p.spt),
                    _tail(p.dpt, False, udp),
                )
            )
        )

    def _stamp(self, t: int) -> str:
        s = t // 1000
        return (
            f"<4>1 {self.clock.iso[s // 86400]}{time_of_day()[s % 86400]}"
            f"{milliseconds()[t % 1000]}Z fw01 kernel - - - "
        )

    def _ip_header(self, inbound: bool, src: str, udp: bool, scan: bool) -> str:
        if inbound:
            # An outside sender's packets keep the TTL its distance gives them.
            ttl = 40 + sum(map(int, src.split("."))) % 20
        else:
            # Windows starts at 128, Linux and Android at 64; fw01 is one hop.
            ttl = 127 if src.startswith("10.10.10.") or src == DC_IP else 63
        length = 72 if udp else 44 if scan else 60
        return f" LEN={length} TOS=0x00 PREC=0x00 TTL={ttl} ID="

    def _flow(
        self,
        action: str,
        sources: tuple[str, ...],
        targets: tuple[tuple[str, int], ...],
        *,
        inbound: bool = False,
        forwarded: bool = True,
        udp: bool = False,
        scan: bool = False,
    ) -> Action:
        """New connections from any of `sources` to any of `targets`; `scan`: a port scanner's SYNs."""
        heads = tuple(_head(action, inbound, forwarded, src) for src in sources)
        headers = tuple(self._ip_header(inbound, src, udp, scan) for src in sources)
        dsts = tuple(dst for dst, _ in targets)
        tails = tuple(_tail(port, scan, udp) for _, port in targets)
        transport = _transport(action, inbound, udp)
        ports = SOURCE_PORTS if inbound else EPHEMERAL_PORTS
        port_bits = 16 if inbound else 14
        fixed_port = "123" if udp and targets[0][1] == 123 else None
        nsrc, ndst = len(sources), len(targets)
        write, rand, bits, join = self.write, self.rng.random, self.rng.getrandbits, "".join
        iso, seconds, millis = self.clock.iso, time_of_day(), milliseconds()

        def flow(t: int) -> int:
            s = t // 1000
            i, j = int(rand() * nsrc), int(rand() * ndst)
            write(
                join(
                    (
                        "<4>1 ",
                        iso[s // 86400],
                        seconds[s % 86400],
                        millis[t % 1000],
                        "Z fw01 kernel - - - ",
                        heads[i],
                        dsts[j],
                        headers[i],
                        str(bits(16)),
                        transport,
                        fixed_port or ports[bits(port_bits)],
                        tails[j],
                    )
                )
            )
            return 1

        return flow


def _head(action: str, inbound: bool, forwarded: bool, src: str) -> str:
    if inbound:
        where = f"IN={WAN} OUT={LAN if forwarded else ''} MAC={WAN_MAC}"
    else:
        octets = [int(part) for part in src.split(".")]
        where = (
            f"IN={LAN} OUT={WAN if forwarded else ''} MAC=00:16:3e:4a:10:02:52:54:00:"
            f"{octets[2]:02x}:{octets[3]:02x}:{octets[3] * 7 % 256:02x}:08:00"
        )
    return f"[UFW {action}] {where} SRC={src} DST="


def _transport(action: str, inbound: bool, udp: bool) -> str:
    flag = "" if inbound and action == "BLOCK" else "DF "
    return f" {flag}PROTO={'UDP' if udp else 'TCP'} SPT="


def _tail(port: int, scan: bool, udp: bool) -> str:
    if udp:
        return f" DPT={port} LEN=52\n"
    window = 1024 if scan else 64240
    return f" DPT={port} WINDOW={window} RES=0x00 SYN URGP=0\n"


SOURCE_PORTS = tuple(str(1024 + n % 64000) for n in range(1 << 16))
