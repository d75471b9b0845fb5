"""The generated organisation: its people, machines, addresses and working rhythm."""

from __future__ import annotations

from dataclasses import dataclass

DOMAIN = "CONTOSO"
DNS_DOMAIN = "contoso.local"
REALM = "CONTOSO.LOCAL"
DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"
ZONE = "UTC"  # the office's clocks run on UTC, so local stamps without a zone are UTC

PUBLIC_IP = "192.0.2.10"  # the firewall's outside address
DC_IP = "10.10.1.5"
WEB_IP = "10.10.1.10"
DNS_FORWARDER = "9.9.9.9"


@dataclass(frozen=True)
class User:
    """A person with a domain account."""

    name: str  # sAMAccountName, also the Linux login where they have one
    full_name: str
    department: str
    rid: int
    admin: bool = False  # member of a group that makes them local admin on the PCs
    linux_uid: int | None = None  # admins with a key on the Linux servers

    @property
    def sid(self) -> str:
        return f"{DOMAIN_SID}-{self.rid}"

    @property
    def home(self) -> str:
        return f"C:\\Users\\{self.name}"


USERS: tuple[User, ...] = (
    User("alice", "Alice Morgan", "IT", 1103, admin=True, linux_uid=1000),
    User("bob", "Bob Carter", "IT", 1104, admin=True, linux_uid=1002),
    User("carol", "Carol Hughes", "Accounts", 1105),
    User("dave", "Dave Price", "Accounts", 1106),
    User("emma", "Emma Walsh", "Accounts", 1107),
    User("frank", "Frank Osei", "Sales", 1108),
    User("grace", "Grace Lin", "Sales", 1109),
    User("henry", "Henry Ward", "Sales", 1110),
    User("irene", "Irene Novak", "Sales", 1111),
    User("jack", "Jack Byrne", "Operations", 1112),
    User("kate", "Kate Doyle", "Sales", 1113),
    User("liam", "Liam Patel", "HR", 1114),
    User("mia", "Mia Rossi", "Management", 1115),
    User("noah", "Noah Fischer", "Operations", 1116),
    User("olivia", "Olivia Grant", "Reception", 1117),
)
USER_BY_NAME = {user.name: user for user in USERS}
SERVICE_ACCOUNT = User("svc_backup", "Backup Service", "IT", 1120, admin=True)


@dataclass(frozen=True)
class WindowsHost:
    """A Windows machine with Sysmon, sending its event logs through NXLog."""

    name: str
    ip: str
    owner: str | None  # the user who sits at it; None for the domain controller
    os: str
    rid: int  # the computer account's RID
    is_dc: bool = False

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{DNS_DOMAIN}"

    @property
    def account(self) -> str:
        return f"{self.name}$"

    @property
    def path(self) -> str:
        return f"windows/{self.name}.json"


def _pc(name: str, last_octet: int, owner: str, os: str, rid: int) -> WindowsHost:
    return WindowsHost(name, f"10.10.10.{last_octet}", owner, os, rid)


WIN10 = "Windows 10 Pro 22H2"
WIN11 = "Windows 11 Pro 23H2"
PCS: tuple[WindowsHost, ...] = (
    _pc("PC-IT-01", 11, "alice", WIN11, 1201),
    _pc("PC-IT-02", 12, "bob", WIN11, 1202),
    _pc("PC-ACCT-01", 13, "carol", WIN10, 1203),
    _pc("PC-ACCT-02", 14, "dave", WIN10, 1204),
    _pc("PC-ACCT-03", 15, "emma", WIN11, 1205),
    _pc("PC-SALES-01", 16, "frank", WIN11, 1206),
    _pc("PC-SALES-02", 17, "grace", WIN10, 1207),
    _pc("PC-SALES-03", 18, "henry", WIN11, 1208),
    _pc("PC-SALES-04", 19, "irene", WIN10, 1209),
    _pc("PC-OPS-01", 20, "jack", WIN10, 1210),
    _pc("PC-HR-01", 21, "liam", WIN11, 1211),
    _pc("PC-MGMT-01", 22, "mia", WIN11, 1212),
)
DC = WindowsHost("DC01", DC_IP, None, "Windows Server 2022", 1000, is_dc=True)
WINDOWS_HOSTS: tuple[WindowsHost, ...] = (*PCS, DC)
HOST_BY_NAME = {host.name: host for host in WINDOWS_HOSTS}
PC_BY_OWNER = {host.owner: host for host in PCS}


@dataclass(frozen=True)
class Phone:
    """An Android phone with the security log turned on by the MDM."""

    device: str
    user: str
    ip: str
    model: str


PHONES: tuple[Phone, ...] = (
    Phone("Pixel-8-alice", "alice", "10.10.20.31", "Pixel 8"),
    Phone("Galaxy-S23-frank", "frank", "10.10.20.32", "SM-S911B"),
    Phone("Pixel-7-kate", "kate", "10.10.20.33", "Pixel 7"),
    Phone("Galaxy-S24-mia", "mia", "10.10.20.34", "SM-S921B"),
    Phone("Pixel-7a-noah", "noah", "10.10.20.35", "Pixel 7a"),
)

# Linux accounts on the servers: admins log in with keys; deploy is the web app's account.
LINUX_ADMINS: tuple[User, ...] = tuple(user for user in USERS if user.linux_uid is not None)
DEPLOY_UID = 1001


@dataclass(frozen=True)
class Rhythm:
    """Relative activity by hour: people's share (weekday, weekend) plus a constant background."""

    weekday: tuple[float, ...]
    weekend: tuple[float, ...]
    background: float

    def weights(self, weekday: int, hour: int) -> tuple[float, float]:
        """(people, background) weight for one hour; weekday 0 is Monday."""
        people = self.weekday[hour] if weekday < 5 else self.weekend[hour]
        return people, self.background


# Mon-Fri 08:00-18:00 with a lunch dip; almost nothing at night; a little on Saturday morning.
OFFICE_DAY = (
    0,
    0,
    0,
    0,
    0,
    0,
    0.05,
    0.6,
    4,
    9,
    10,
    10,
    5,
    8,
    10,
    9,
    8,
    4,
    1,
    0.3,
    0.2,
    0.1,
    0.05,
    0,
)
OFFICE_WEEKEND = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.05,
    0.2,
    0.3,
    0.2,
    0.1,
    0.05,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
)
PHONE_DAY = (0.3, 0.1, 0.1, 0.1, 0.1, 0.2, 1.5, 5, 7, 5, 5, 5, 8, 6, 5, 5, 5, 6, 7, 7, 7, 6, 4, 1.5)
PHONE_WEEKEND = (
    0.5,
    0.3,
    0.1,
    0.1,
    0.1,
    0.1,
    0.3,
    1,
    3,
    5,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    5,
    3,
    1,
)

PC_RHYTHM = Rhythm(OFFICE_DAY, OFFICE_WEEKEND, background=0.5)
DC_RHYTHM = Rhythm(OFFICE_DAY, OFFICE_WEEKEND, background=2.5)
SERVER_RHYTHM = Rhythm(tuple(d * 0.3 for d in OFFICE_DAY), (0.0,) * 24, background=4.0)
FIREWALL_RHYTHM = Rhythm(OFFICE_DAY, OFFICE_WEEKEND, background=3.0)
PHONE_RHYTHM = Rhythm(PHONE_DAY, PHONE_WEEKEND, background=0.3)
