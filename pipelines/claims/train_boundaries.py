"""Train the speech-boundary model until `framecheck claims train` calls it:

    python -m pipelines.claims.train_boundaries [CORPORA_DIR [OUT]]

CORPORA_DIR defaults to ../shared/corpora beside the repository (FRAMECHECK_SHARED names
another place), OUT to pipelines/claims/models/boundaries.skops. Prints the metrics as JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from pipelines.claims.boundaries import BOUNDARY_MODEL_FILE, train_boundary_model
from pipelines.kernel.config import REPO_ROOT


def main(argv: list[str]) -> int:
    shared = Path(os.environ.get("FRAMECHECK_SHARED") or REPO_ROOT.parent / "shared")
    corpora = Path(argv[0]) if argv else shared / "corpora"
    out = Path(argv[1]) if len(argv) > 1 else BOUNDARY_MODEL_FILE
    if not (corpora / "checkworthiness").is_dir():
        print(f"error: {corpora / 'checkworthiness'}: no such folder (the debate transcripts to learn from)",
              file=sys.stderr)
        return 1
    print(json.dumps(train_boundary_model(corpora, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
