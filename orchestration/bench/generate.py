"""How fast the demo generator writes, and whether its memory stays flat as claims grow.

Each measurement runs ``generate`` in a fresh child process, which reports its own wall time and
peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``): the figure is the generating
process alone, unaffected by whatever ran before in the parent.

    python -m orchestration.bench.generate --claims 100000 1000000 --workdir /tmp/rcm-bench
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from orchestration.demo import generate
out, claims, seed, months = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
started = time.perf_counter()
truth = generate(out, claims=claims, seed=seed, months=months)
seconds = time.perf_counter() - started
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "claim_count": truth["claim_count"]}))
"""


def measure_generate(
    claims: int, workdir: Path, seed: int = 42, months: int = 18, keep: bool = False
) -> dict:
    """Generate ``claims`` claims into ``workdir/generate_<claims>`` in a child process and measure it.

    Returns claims, seconds, claims_per_second, peak_rss_mb (of the generating process), output_bytes
    and output_files (from the manifest). The output is removed afterwards unless ``keep``.
    """
    out = Path(workdir) / f"generate_{claims}"
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), str(claims), str(seed), str(months)],
        check=True,
        capture_output=True,
        text=True,
    )
    child = json.loads(completed.stdout.strip().splitlines()[-1])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    result = {
        "claims": claims,
        "months": months,
        "seconds": round(child["seconds"], 3),
        "claims_per_second": round(claims / child["seconds"], 1),
        "peak_rss_mb": round(child["peak_rss_mb"], 1),
        "output_bytes": manifest["total_bytes"],
        "output_files": manifest["file_count"],
    }
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the demo generator (time, memory, output size).")
    parser.add_argument("--claims", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'claims':>10} {'seconds':>9} {'claims/s':>10} {'peak RSS MB':>12} {'output MB':>10} {'files':>7}"
    )
    for claims in args.claims:
        row = measure_generate(claims, args.workdir, args.seed, args.months, args.keep)
        print(
            f"{row['claims']:>10} {row['seconds']:>9.1f} {row['claims_per_second']:>10.0f} "
            f"{row['peak_rss_mb']:>12.1f} {row['output_bytes'] / 1e6:>10.1f} {row['output_files']:>7}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
