"""`setup configs`: the endpoints' configuration files, a folder per platform, from the plan.

Without --platform, every platform the logging plan counts is written. Each folder has a
README.txt with what each file does and the one-liner that applies it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from watchkeeper.cli.output import print_json, safe
from watchkeeper.cli.parser import add_common

if TYPE_CHECKING:
    from watchkeeper.cli.parser import Commands
    from watchkeeper.setup.plan import LoggingPlan

# platforms whose files hold a secret (the HTTP listener's token)
SECRET_PLATFORMS = ("macos",)


def add_setup_commands(actions: Commands) -> None:
    """`setup configs`, added to the `setup` group's commands."""
    from watchkeeper.setup.configs import CONFIG_PLATFORMS

    p = actions.add_parser(
        "configs",
        help="write the configuration files for the endpoints, a folder per platform",
    )
    p.set_defaults(handler=cmd_configs)
    p.add_argument(
        "--platform",
        action="append",
        choices=CONFIG_PLATFORMS,
        default=[],
        help="a platform to write (may be given more than once; default: every one planned)",
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write them in"
    )
    p.add_argument(
        "--zip", action="store_true", help="also put the folder in DIR.zip, to copy elsewhere"
    )
    add_common(p)


def planned_platforms(plan: LoggingPlan) -> list[str]:
    """The configuration folders the plan needs, in the usual order."""
    from watchkeeper.setup.generation import config_platforms

    return config_platforms(plan)


def cmd_configs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from watchkeeper.core import settings as settings_module
    from watchkeeper.setup.configs import ConfigError, write_configs, zip_configs
    from watchkeeper.setup.endpoint import endpoint_for
    from watchkeeper.setup.plan import LoggingPlan, load_plan

    plan = load_plan() or LoggingPlan()
    platforms = list(dict.fromkeys(args.platform)) or planned_platforms(plan)
    if not platforms:
        raise ConfigError(
            "The logging plan has no devices yet: give --platform, or plan them with the "
            "setup wizard (Help ▸ Set up logging…)."
        )
    settings = settings_module.load()
    endpoint = endpoint_for(
        plan,
        settings,
        now=args.clock(),
        with_secrets=any(name in SECRET_PLATFORMS for name in platforms),
    )
    folder: Path = args.out
    written = {name: write_configs(plan, name, folder, endpoint) for name in platforms}
    secret = [name for name in platforms if name in SECRET_PLATFORMS and endpoint.http_token]
    for name in secret:  # readable by their owner only
        (folder / name).chmod(0o700)
        for path in written[name]:
            path.chmod(0o600)
    archive = None
    if args.zip:
        absolute = folder.resolve()
        archive = zip_configs(absolute, absolute.with_name(absolute.name + ".zip"))
    if args.json:
        print_json(
            {
                "out": str(folder),
                "platforms": {name: [str(p) for p in paths] for name, paths in written.items()},
                "zip": str(archive) if archive else None,
                "holds_secret": secret,
            },
            out,
        )
        return 0
    for name, paths in written.items():
        out.write(f"{name}: {len(paths)} file{'' if len(paths) == 1 else 's'} in ")
        out.write(f"{safe(folder / name)}\n")
        for path in paths:
            out.write(f"  {safe(path.relative_to(folder / name).as_posix())}\n")
    if archive:
        out.write(f"All of it in {safe(archive)}\n")
    for name in secret:
        out.write(
            f"The {name} folder{' and the zip' if archive else ''} hold the collector's "
            "token: keep them like a password, and delete them once the devices are set up.\n"
        )
    out.write("Each folder's README.txt says what to copy where, and the command to apply it.\n")
    return 0
