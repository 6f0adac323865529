"""python -m tools.samplegen OUTDIR: write the sample footage and labels.yaml."""

from __future__ import annotations

import argparse
import logging
import sys

from tools.samplegen.samples import write_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.samplegen", description="Write the sample footage and labels.yaml."
    )
    parser.add_argument("outdir", help="folder to write into, e.g. samples/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_samples(args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
