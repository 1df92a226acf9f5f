"""The `sftlab` command: one typer app; each command module adds its commands and calls one library function.

Command groups live one per module (`cli/run.py`, `cli/data.py`, ...) so no module grows into a god file;
none of them holds logic beyond loading the config and calling the library.
"""

from __future__ import annotations

import logging
import sys

import typer

from sftlab.errors import UserError

app = typer.Typer(
    help="sftlab: run reasoning SFT experiments and see when, and at what cost, they generalize.\n\n"
    "Example: sftlab demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

from sftlab.cli import run as _run  # noqa: E402,F401  importing registers the commands
from sftlab.cli import data as _data  # noqa: E402,F401
from sftlab.cli import analyze as _analyze  # noqa: E402,F401
from sftlab.cli import sweep as _sweep  # noqa: E402,F401


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("accelerate", "httpx", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
