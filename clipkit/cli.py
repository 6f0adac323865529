"""The clipkit command line. The only module that knows click."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from clipkit import __version__
from clipkit.errors import ClipkitError

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn a ClipkitError into one line on stderr and exit 1 (a traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ClipkitError as e:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            click.echo(f"clipkit: error: {e}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="clipkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logging.")
def main(debug: bool) -> None:
    """Find the mishap moments in raw kitchen footage and cut them into clips ready to post.

    \b
    Typical use:
      clipkit cut --preset reels footage/ -o out/
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
def doctor() -> None:
    """Check that ffmpeg, OpenCV, moviepy and Python are present and work."""
    from clipkit.doctor import run_checks

    checks = run_checks()
    width = max(len(c.name) for c in checks)
    for c in checks:
        mark = "ok  " if c.ok else "FAIL"
        click.echo(f"{mark} {c.name:<{width}}  {c.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)
