"""The phones: Android security-log events as JSON lines, as an MDM export writes them."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from watchkeeper.scenarios.clock import Clock, milliseconds, time_of_day
from watchkeeper.scenarios.office import PHONE_RHYTHM, PHONES
from watchkeeper.scenarios.sources import Action, Activity, Source, StoryLine

PEOPLE_APPS = (
    "com.whatsapp",
    "com.google.android.gm",
    "com.microsoft.teams",
    "com.android.chrome",
    "com.microsoft.office.outlook",
    "com.google.android.apps.maps",
    "com.spotify.music",
    "com.linkedin.android",
    "com.microsoft.office.officehubrow",
    "com.google.android.youtube",
)
SYSTEM_APPS = (
    "com.google.android.gms.persistent",
    "com.google.process.gapps",
    "com.android.systemui",
    "com.google.android.apps.messaging",
    "com.android.vending:background",
    "com.google.android.providers.media.module",
)
ACCESS_POINTS = ("a4:2b:b0:c1:7e:10", "a4:2b:b0:c1:7e:11", "f0:9f:c2:3a:55:02")


@dataclass(frozen=True)
class PhoneEvent:
    """A story's phone event."""

    device: str
    user: str
    tag: str
    data: dict[str, object] = field(default_factory=dict)


class PhoneSource(Source):
    """All phones' security logs in one file, one JSON object per line."""

    def __init__(self, clock: Clock, rng: random.Random, share: float) -> None:
        super().__init__("mobile/android-security.jsonl", share, PHONE_RHYTHM, clock, rng)
        self.apps = {
            name: (10_100 + index * 37, hashlib.sha256(name.encode()).hexdigest())
            for index, name in enumerate(PEOPLE_APPS + SYSTEM_APPS)
        }
        self.heads = tuple(
            f'", "device": "{p.device}", "user": "{p.user}", "tag": "' for p in PHONES
        )
        self.pid = rng.randrange(5000, 30000)
        self.stamp: Callable[[int], str] = _unset
        self._people: list[Activity] = []
        self._background: list[Activity] = []

    def start(self, write: Callable[[str], object]) -> None:
        super().start(write)
        days, seconds, millis = self.clock.iso, time_of_day(), milliseconds()

        def stamp(t: int) -> str:
            s = t // 1000
            return f'{{"time": "{days[s // 86400]}{seconds[s % 86400]}{millis[t % 1000]}Z'

        self.stamp = stamp
        self._people = [
            Activity(6.0, self._app(PEOPLE_APPS)),
            Activity(3.0, self._unlock, 2),
            Activity(3.0, self._simple("SEC_TAG_KEYGUARD_SECURED")),
            Activity(0.25, self._failed_unlock),
            Activity(0.5, self._wifi),
        ]
        self._background = [Activity(3.0, self._app(SYSTEM_APPS)), Activity(0.02, self._boot, 3)]

    def people(self) -> list[Activity]:
        return self._people

    def background(self) -> list[Activity]:
        return self._background

    def filler(self) -> Action:
        return self._people[2].action

    def write_story(self, line: StoryLine) -> None:
        e = line.payload
        if not isinstance(e, PhoneEvent):
            raise TypeError(f"{self.path}: not a phone event: {e!r}")
        self.write(
            f'{self.stamp(line.t_ms)}", "device": "{e.device}", "user": "{e.user}", '
            f'"tag": "{e.tag}", "data": {json.dumps(e.data)}}}\n'
        )

    def _head(self) -> str:
        return self.heads[int(self.rng.random() * len(self.heads))]

    def _app(self, names: tuple[str, ...]) -> Action:
        apps = tuple((name, *self.apps[name]) for name in names)
        count = len(apps)
        write, rand, bits = self.write, self.rng.random, self.rng.getrandbits

        def app_start(t: int) -> int:
            name, uid, sha = apps[int(rand() * count)]
            self.pid += 1 + bits(5)
            if self.pid > 32_000:
                self.pid = 2_000
            write(
                f'{self.stamp(t)}{self._head()}SEC_TAG_APP_PROCESS_START", "data": {{"process": '
                f'"{name}", "start_time": {t}, "uid": {uid}, "pid": {self.pid}, "seinfo": '
                f'"default:targetSdkVersion=34:complete", "sha256": "{sha}"}}}}\n'
            )
            return 1

        return app_start

    def _simple(self, tag: str, data: str = "{}") -> Action:
        def simple(t: int) -> int:
            self.write(f'{self.stamp(t)}{self._head()}{tag}", "data": {data}}}\n')
            return 1

        return simple

    def _unlock(self, t: int) -> int:
        head = self._head()
        self.write(
            f'{self.stamp(t)}{head}SEC_TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", "data": '
            '{"success": 1, "method_strength": 1}}\n'
        )
        self.write(f'{self.stamp(t)}{head}SEC_TAG_KEYGUARD_DISMISSED", "data": {{}}}}\n')
        return 2

    def _failed_unlock(self, t: int) -> int:
        self.write(
            f'{self.stamp(t)}{self._head()}SEC_TAG_KEYGUARD_DISMISS_AUTH_ATTEMPT", "data": '
            '{"success": 0, "method_strength": 1}}\n'
        )
        return 1

    def _wifi(self, t: int) -> int:
        bssid = ACCESS_POINTS[self.rng.getrandbits(8) % len(ACCESS_POINTS)]
        event = "connect" if self.rng.getrandbits(1) else "disconnect"
        self.write(
            f'{self.stamp(t)}{self._head()}SEC_TAG_WIFI_CONNECTION", "data": '
            f'{{"bssid": "{bssid}", "event_type": "{event}", "reason": ""}}}}\n'
        )
        return 1

    def _boot(self, t: int) -> int:
        head = self._head()
        stamp = self.stamp(t)
        self.write(
            f'{stamp}{head}SEC_TAG_OS_STARTUP", "data": '
            '{"verified_boot_state": "green", "dm_verity_mode": "enforcing"}}\n'
        )
        self.write(
            f'{stamp}{head}SEC_TAG_CRYPTO_SELF_TEST_COMPLETED", "data": {{"success": 1}}}}\n'
        )
        self.write(f'{stamp}{head}SEC_TAG_LOGGING_STARTED", "data": {{}}}}\n')
        return 3


def _unset(t: int) -> str:
    raise RuntimeError("phone source written to before start()")
