#!/usr/bin/python3
"""stage_chains.py — what one stage of a profile holds: the commonest call chains of its
samples, each as the sampled function and coffer's own frames outwards.

  bench/profile_stages.py --keep DIR
  bench/stage_chains.py DIR/read.perf "TLS and HTTP" [N]
"""
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stages import STAGES, Classifier, read_samples  # noqa: E402

BIN = Path(__file__).resolve().parents[1] / "build" / "profile" / "coffer"


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in STAGES:
        sys.exit(f"usage: {sys.argv[0]} PERF_DATA STAGE [N]\nstages: {', '.join(STAGES)}")
    classify = Classifier(BIN)
    chains = collections.Counter()
    total = 0
    for comm, period, frames in read_samples(sys.argv[1]):
        if classify.stage(comm, frames) != sys.argv[2]:
            continue
        total += period
        ours = " < ".join(sym for sym, dso, _ in frames if dso.endswith("/coffer"))
        leaf = f"{frames[0][0]} ({frames[0][1].rsplit('/', 1)[-1]})" if frames else "?"
        chains[f"{leaf} < {ours or '-'}"] += period
    for chain, weight in chains.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 20):
        print(f"{weight / total * 100:5.1f} %  {chain}")


if __name__ == "__main__":
    main()
