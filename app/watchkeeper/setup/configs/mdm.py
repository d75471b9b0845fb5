"""Phones and tablets: which export to take from the device management, and how to import it.

Nothing is installed on the devices: the MDM already knows whether each is encrypted,
locked, up to date and not jailbroken, and Watchkeeper reads its export (compliance/sources).
"""

from __future__ import annotations

from watchkeeper.setup.endpoint import Endpoint
from watchkeeper.setup.plan import LoggingPlan

# (the MDM, where its export is, what to choose there)
EXPORTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Microsoft Intune",
        (
            "Intune admin center ▸ Devices ▸ All devices ▸ Export, and choose",
            "“Include all inventory data in the exported file”. It arrives as a zip:",
            "unzip it and import the CSV inside. Compliance reports (Reports ▸ Device",
            "compliance ▸ Export) are read too.",
        ),
    ),
    (
        "Google Workspace",
        (
            "Admin console ▸ Devices ▸ Mobile & endpoints ▸ Devices ▸ Download (all",
            "columns, CSV).",
        ),
    ),
    (
        "Jamf Pro",
        (
            "Computers (Macs) or Devices (iPhones and iPads) ▸ Search Inventory ▸ an",
            "advanced search with the display fields Serial Number, Operating System",
            "Version, Last Inventory Update, FileVault 2 Status (Macs), Data Protection",
            "and Passcode Status (mobile devices) ▸ Export ▸ CSV. Save one search for",
            "computers and one for mobile devices.",
        ),
    ),
)


def generate(plan: LoggingPlan, endpoint: Endpoint) -> dict[str, str]:
    planned = plan.platforms.get("mdm")
    lines = [
        "Phones and tablets: importing your device management's export",
        "==============================================================",
        "",
        "Nothing is installed on the phones and tablets. Your device management (MDM)",
        "knows whether each one is encrypted, has a screen lock, is up to date and is not",
        "jailbroken or rooted; Watchkeeper reads its export and shows the result in the",
        "Devices view.",
    ]
    if planned and planned.count:
        lines.append(f"The plan counts {planned.count:,} of them.")
    lines += ["", "Which export to take:", ""]
    for name, steps in EXPORTS:
        lines.append(f"  {name}")
        lines += [f"    {step}" for step in steps]
        lines.append("")
    lines += [
        "How to import it:",
        "",
        "  In Watchkeeper: File ▸ Import device list…, and choose the file.",
        "  Or on the command line:",
        "    watchkeeper devices import FILE",
        "",
        "Take a new export every week (or after a change of policy): the Devices view",
        "says a device is stale when its last check-in is old.",
        "",
    ]
    return {"README.txt": "\n".join(lines)}
