"""One refused attempt is one failed logon, though auth.log tells of it in several lines."""

from __future__ import annotations

from pathlib import Path

from watchkeeper.ingest.importer import import_paths
from watchkeeper.storage.pivots import hosts, users
from watchkeeper.storage.store import Store


def _attempt(second: int, pid: int, user: str, address: str, port: int) -> str:
    """One refused password on Ubuntu: pam_unix's line, sshd's, and the connection closing."""
    stamp = f"Nov 23 08:{second // 60:02d}:{second % 60:02d}"
    return (
        f"{stamp} web01 sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= "
        f"uid=0 euid=0 tty=ssh ruser= rhost={address}  user={user}\n"
        f"{stamp} web01 sshd[{pid}]: Failed password for {user} from {address} port {port} "
        "ssh2\n"
        f"{stamp} web01 sshd[{pid}]: Connection closed by authenticating user {user} "
        f"{address} port {port} [preauth]\n"
    )


def _import(store: Store, folder: Path, text: str) -> None:
    folder.mkdir()
    (folder / "auth.log").write_text(text, encoding="utf-8")
    summary = import_paths(store, [folder / "auth.log"])
    assert (summary.quarantined, summary.files[0].status) == (0, "imported")


def _failures(store: Store) -> dict[str, int]:
    return {row.username: row.logon_failures for row in users(store) if row.logon_failures}


def test_five_refused_passwords_are_five_failures_not_ten(store: Store, tmp_path: Path) -> None:
    log = "".join(_attempt(i * 7, 4100 + i, "root", "203.0.113.7", 41800 + i) for i in range(5))
    _import(store, tmp_path / "logs", log)
    assert _failures(store) == {"root": 5}
    assert {row.host: row.logon_failures for row in hosts(store)} == {"web01": 5}
    # nothing is lost: pam's lines are kept, with the user and address, as context
    context = store.fetch_all(
        "SELECT username, src_ip, outcome FROM events WHERE action = 'pam_authentication'"
    )
    assert context == [("root", "203.0.113.7", "failure")] * 5


def test_every_program_counts_each_attempt_once(store: Store, tmp_path: Path) -> None:
    log = (
        # three passwords in one connection: pam logs the first, then a tally at the end
        "Nov 23 09:00:01 web01 sshd[5001]: pam_unix(sshd:auth): authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n"
        "Nov 23 09:00:03 web01 sshd[5001]: Failed password for root from 198.51.100.4 "
        "port 50100 ssh2\n"
        "Nov 23 09:00:06 web01 sshd[5001]: Failed password for root from 198.51.100.4 "
        "port 50100 ssh2\n"
        "Nov 23 09:00:09 web01 sshd[5001]: Failed password for root from 198.51.100.4 "
        "port 50100 ssh2\n"
        "Nov 23 09:00:09 web01 sshd[5001]: error: maximum authentication attempts exceeded "
        "for root from 198.51.100.4 port 50100 ssh2 [preauth]\n"
        "Nov 23 09:00:09 web01 sshd[5001]: Disconnecting authenticating user root "
        "198.51.100.4 port 50100: Too many authentication failures [preauth]\n"
        "Nov 23 09:00:09 web01 sshd[5001]: PAM 2 more authentication failures; logname= uid=0 "
        "euid=0 tty=ssh ruser= rhost=198.51.100.4  user=root\n"
        # a name that does not exist: five lines, one attempt
        "Nov 23 09:01:00 web01 sshd[5002]: Invalid user <b>admin</b> from 198.51.100.4 "
        "port 50200\n"
        "Nov 23 09:01:00 web01 sshd[5002]: input_userauth_request: invalid user <b>admin</b> "
        "[preauth]\n"
        "Nov 23 09:01:00 web01 sshd[5002]: pam_unix(sshd:auth): check pass; user unknown\n"
        "Nov 23 09:01:00 web01 sshd[5002]: pam_unix(sshd:auth): authentication failure; "
        "logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.4\n"
        "Nov 23 09:01:02 web01 sshd[5002]: Failed password for invalid user <b>admin</b> "
        "from 198.51.100.4 port 50200 ssh2\n"
        # keyboard-interactive through PAM: sshd's own error line, then its Failed line
        "Nov 23 09:02:00 web01 sshd[5003]: error: PAM: Authentication failure for dave "
        "from 192.0.2.8\n"
        "Nov 23 09:02:00 web01 sshd[5003]: Failed keyboard-interactive/pam for dave "
        "from 192.0.2.8 port 50300 ssh2\n"
        # su: pam's line and su's own
        "Nov 23 09:03:00 web01 su[5004]: pam_unix(su:auth): authentication failure; "
        "logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root\n"
        "Nov 23 09:03:02 web01 su[5004]: FAILED SU (to root) alice on pts/0\n"
        # sudo: pam's line and sudo's tally; a refused sudo is not a failed logon
        "Nov 23 09:04:00 web01 sudo: pam_unix(sudo:auth): authentication failure; "
        "logname=carol uid=1002 euid=0 tty=/dev/pts/1 ruser=carol rhost=  user=carol\n"
        "Nov 23 09:04:09 web01 sudo:    carol : 3 incorrect password attempts ; TTY=pts/1 ; "
        "PWD=/home/carol ; USER=root ; COMMAND=/usr/bin/apt update\n"
        # the console: pam's line is the only one read, so it is the failure
        "Nov 23 09:05:00 web01 login[5006]: pam_unix(login:auth): check pass; user unknown\n"
        "Nov 23 09:05:00 web01 login[5006]: pam_unix(login:auth): authentication failure; "
        "logname=LOGIN uid=0 euid=0 tty=/dev/tty1 ruser= rhost=  user=bob\n"
    )
    _import(store, tmp_path / "logs", log)
    assert _failures(store) == {"root": 3, "<b>admin</b>": 1, "dave": 1, "alice": 1, "bob": 1}
    refused_sudo = store.fetch_all(
        "SELECT username, \"sudo.reason\" FROM events WHERE action = 'sudo' AND outcome = 'failure'"
    )
    assert refused_sudo == [("carol", "3 incorrect password attempts")]


def test_the_old_pam_tag_is_still_counted_where_it_is_the_only_trace(
    store: Store, tmp_path: Path
) -> None:
    log = "".join(
        f"Jun 15 02:04:{10 + i:02d} combo sshd(pam_unix)[{20880 + i}]: check pass; user unknown\n"
        f"Jun 15 02:04:{10 + i:02d} combo sshd(pam_unix)[{20880 + i}]: authentication failure; "
        f"logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220.135.151.1  user=guest\n"
        for i in range(4)
    )
    _import(store, tmp_path / "logs", log)
    assert _failures(store) == {"guest": 4}
