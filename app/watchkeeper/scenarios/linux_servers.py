"""What runs on the Linux servers: admin commands, cron jobs, systemd units, process ids."""

from __future__ import annotations

import random

ADMIN_COMMANDS = {
    "web01": (
        "/usr/bin/systemctl restart nginx",
        "/usr/bin/systemctl status nginx",
        "/usr/bin/tail -n 200 /var/log/nginx/error.log",
        "/usr/bin/apt-get update",
        "/usr/bin/apt-get -y upgrade",
        "/usr/bin/journalctl -u nginx --since today",
    ),
    "files01": (
        "/usr/bin/systemctl status smbd",
        "/usr/bin/df -h /srv/share",
        "/usr/bin/apt-get update",
        "/usr/bin/smbstatus",
        "/usr/sbin/auditctl -l",
        "/usr/bin/chown -R root:staff /srv/share/Operations",
    ),
}
CRON_JOBS = {
    "web01": (
        ("root", "(command -v debian-sa1 > /dev/null && debian-sa1 1 1)"),
        ("www-data", "(php /var/www/app/artisan schedule:run >> /dev/null 2>&1)"),
        ("root", "(   cd / && run-parts --report /etc/cron.hourly)"),
    ),
    "files01": (
        ("root", "(command -v debian-sa1 > /dev/null && debian-sa1 1 1)"),
        ("root", "(/usr/local/sbin/snapshot-shares >> /var/log/snapshot.log 2>&1)"),
        ("root", "(   cd / && run-parts --report /etc/cron.hourly)"),
    ),
}
SYSTEMD_UNITS = (
    ("apt-daily.service", "Daily apt download activities"),
    ("sysstat-collect.service", "system activity accounting tool"),
    ("logrotate.service", "Rotate log files"),
    ("man-db.service", "Daily man-db regeneration"),
    ("systemd-tmpfiles-clean.service", "Cleanup of Temporary Directories"),
)
SCANNED_NAMES = (
    "admin",
    "test",
    "user",
    "ubuntu",
    "oracle",
    "postgres",
    "git",
    "guest",
    "ftpuser",
    "support",
    "pi",
    "debian",
    "hadoop",
    "minecraft",
    "jenkins",
    "www",
)


class Pids:
    """Process ids as Linux hands them out: rising, with gaps, wrapping at pid_max."""

    def __init__(self, rng: random.Random, start: int) -> None:
        self.value = start
        self.bits = rng.getrandbits

    def next(self) -> int:
        self.value += 1 + self.bits(4)
        if self.value > 4_194_000:
            self.value = 1200
        return self.value
