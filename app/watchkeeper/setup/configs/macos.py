"""Macs: a launchd agent that streams the unified log's security events to the collector.

`log stream --style ndjson` writes one JSON object a line; the script keeps the entries,
adds the Mac's name, and posts them in batches to the collector's HTTP listener as NDJSON
with the bearer token (collect/webhook.py). A batch the collector did not take stays in a
folder and is sent first next time, so a collector that is away loses nothing.
"""

from __future__ import annotations

import plistlib

from watchkeeper.setup.configs import listening_note
from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

LABEL = "com.watchkeeper.forward"
PLIST_FILE = f"{LABEL}.plist"
SCRIPT_FILE = "watchkeeper-forward.sh"
INSTALL_FOLDER = "Library/Application Support/Watchkeeper"  # under the user's home
BATCH_LINES = 200
BATCH_SECONDS = 5

# Sign-ins (local, screen sharing, SSH), sudo and su, authorisation prompts, accounts
# changed, the firewall and XProtect's malware checks.
PREDICATE = " OR ".join(
    [
        *(
            f'process == "{name}"'
            for name in (
                "sudo",
                "su",
                "login",
                "loginwindow",
                "sshd",
                "sshd-session",
                "screensharingd",
                "authd",
                "sysadminctl",
                "dscl",
                "socketfilterfw",
            )
        ),
        'subsystem == "com.apple.Authorization"',
        'subsystem == "com.apple.xprotect"',
    ]
)


def url(endpoint: Endpoint) -> str:
    host = f"[{endpoint.address}]" if ":" in endpoint.address else endpoint.address
    return f"http://{host}:{endpoint.port('http')}/"


def plist() -> str:
    """~/Library/LaunchAgents/com.watchkeeper.forward.plist: run the script, keep it running."""
    document = {
        "Label": LABEL,
        # launchd expands nothing; the shell finds the script in the user's home
        "ProgramArguments": ["/bin/bash", "-c", f'exec "$HOME/{INSTALL_FOLDER}/{SCRIPT_FILE}"'],
        "RunAtLoad": True,
        "KeepAlive": True,
        "ThrottleInterval": 30,
        "ProcessType": "Background",
    }
    return plistlib.dumps(document, sort_keys=False).decode("utf-8")


def script(endpoint: Endpoint) -> str:
    """The forwarder: bash 3.2 (macOS's own), log and curl; nothing to install."""
    return f"""#!/bin/bash
# Watchkeeper: send this Mac's sign-ins, sudo and security events to the collector.
# This file holds the collector's token: keep it like a password.
set -u
umask 077
URL='{url(endpoint)}'
TOKEN='{endpoint.http_token}'
PREDICATE='{PREDICATE}'
BATCH_LINES={BATCH_LINES}
BATCH_SECONDS={BATCH_SECONDS}
WAITING="${{WATCHKEEPER_WAITING:-$HOME/Library/Caches/Watchkeeper}}"
mkdir -p "$WAITING" "$HOME/Library/Logs" 2>/dev/null
[ -n "${{WATCHKEEPER_WAITING:-}}" ] || exec 2>>"$HOME/Library/Logs/watchkeeper-forward.log"
HOST=$( (scutil --get LocalHostName 2>/dev/null || hostname -s) | tr -cd 'A-Za-z0-9.-')
CURRENT="$WAITING/current.ndjson"
HEADERS="$WAITING/headers"  # the token in a file, not on curl's command line
printf 'Authorization: Bearer %s\\nContent-Type: application/x-ndjson\\n' "$TOKEN" > "$HEADERS"

send() {{
  curl --silent --show-error --fail --max-time 30 -H @"$HEADERS" \\
       --data-binary @"$1" "$URL" > /dev/null
}}

flush() {{  # the batch so far, then any that waited, oldest first; stop at the first refusal
  if [ -s "$CURRENT" ]; then
    mv "$CURRENT" "$WAITING/batch-$(date +%s)-$$-$RANDOM.ndjson"
  fi
  for batch in "$WAITING"/batch-*.ndjson; do
    [ -e "$batch" ] || continue
    if send "$batch"; then rm -f "$batch"; else return 1; fi
  done
}}

log stream --style ndjson --predicate "$PREDICATE" | {{
  count=0
  last=$SECONDS
  while :; do
    if IFS= read -r -t "$BATCH_SECONDS" line; then
      case $line in
        '{{'*'"eventMessage"'*)
          printf '{{"host":"%s",%s\\n' "$HOST" "${{line#\\{{}}" >> "$CURRENT"
          count=$((count + 1)) ;;
      esac
    elif [ $? -le 128 ]; then  # the stream ended: send what is left, launchd starts it again
      flush
      exit
    fi
    if [ "$count" -ge "$BATCH_LINES" ] || [ $((SECONDS - last)) -ge "$BATCH_SECONDS" ]; then
      flush || sleep "$BATCH_SECONDS"
      count=0
      last=$SECONDS
    fi
  done
}}
"""


def generate(plan: LoggingPlan, endpoint: Endpoint) -> dict[str, str]:
    return {
        PLIST_FILE: plist(),
        SCRIPT_FILE: script(endpoint),
        "README.txt": readme(plan, endpoint),
    }


def readme(plan: LoggingPlan, endpoint: Endpoint) -> str:
    lines = [
        "Sending a Mac's logs to Watchkeeper",
        "===================================",
        "",
        "KEEP THIS FOLDER LIKE A PASSWORD: the script holds the token that lets a sender",
        "post to your collector. Delete the folder once the Macs are set up.",
        "",
        f"  {SCRIPT_FILE}   streams the unified log's sign-ins, sudo, authorisation",
        "                          prompts, firewall and XProtect events and posts them to",
        f"                          {url(endpoint)} in batches; a batch the collector",
        "                          does not take waits in ~/Library/Caches/Watchkeeper",
        f"  {PLIST_FILE}   the launchd agent that runs it at sign-in and",
        "                          keeps it running",
        "",
    ]
    if not endpoint.http_token:
        lines += [
            "The collector's HTTP listener is off (or the keyring is locked), so the script has",
            "no token: turn the listener on in Settings ▸ Receiving and generate this folder",
            "again.",
            "",
        ]
    lines += listening_note(plan, "a Mac")
    lines += [
        "The user the agent runs as must be an administrator (reading the log needs it).",
        "The token travels unencrypted over HTTP: use it on the office network only.",
        "",
        "In Terminal, in this folder, on each Mac:",
        "",
        f'  mkdir -p ~/"{INSTALL_FOLDER}" ~/Library/LaunchAgents && '
        f'install -m 700 {SCRIPT_FILE} ~/"{INSTALL_FOLDER}"/ && '
        f"cp {PLIST_FILE} ~/Library/LaunchAgents/ && "
        f"launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/{PLIST_FILE}",
        "",
        "To stop it:",
        f"  launchctl bootout gui/$(id -u)/{LABEL}",
        "",
        "To check it: run `sudo -k; sudo true` on the Mac, then open Watchkeeper's Sources",
        "view or run `watchkeeper setup check`.",
        "",
    ]
    return "\n".join(lines)
