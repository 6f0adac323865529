"""python -m tools.eventgen [FOLDER ...] [-o DIR] [--seed N]: make (or reuse) the
synthetic corpus from the event-free clips of FOLDER (default ../shared/footage*)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.eventgen import DEFAULT_OUT, default_folders, ensure_corpus  # noqa: E402
from tools.eventgen.corpus import EVENTS_PER_BACKGROUND, WORKERS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.eventgen", description=__doc__)
    ap.add_argument("folders", nargs="*", type=Path, help="labelled footage folders")
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="corpus folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--events", type=int, default=EVENTS_PER_BACKGROUND,
                    help="event clips per background")  # fmt: skip
    ap.add_argument("--workers", type=int, default=WORKERS)
    args = ap.parse_args(argv)
    folders = args.folders or default_folders()
    if not folders:
        print("no labelled footage found (../shared/footage*)", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    out = ensure_corpus(folders, out=args.out, seed=args.seed,
                        events_per_background=args.events, workers=args.workers)  # fmt: skip
    print(f"{out} ({time.monotonic() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
