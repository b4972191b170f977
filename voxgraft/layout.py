"""Where things live inside a sweep's directory (STORAGE/NAME) and inside a trial checkpoint.
One place for the names, so the sweep that writes them and the report and pick that read them
cannot drift apart.

    STORAGE/NAME/
      voxgraft_sweep.json      the sweep file and trial context, for --resume, report and pick
      results/                 the Parquet results store (sweep/store.py)
      references/              anchors.json and the recipient's and donor's renderings
      report/                  index.html and summary.md (voxgraft report)
      unusable_checkpoints.json  checkpoints `pick` found unreadable, never offered again
      <trial>/checkpoint_*/    transplant/ (organ-delta checkpoint), samples/, and trainer.pt
                               (optimizer and discriminator state) in all but the trial's final one
"""

from pathlib import Path

SPEC_FILE = "voxgraft_sweep.json"
TRIAGE_FILE = "triage.json"  # a sweep's organ triage, when its organs were {triage: K}
RESULTS_DIR = "results"
REFERENCES_DIR = "references"
REPORT_DIR = "report"
TRANSPLANT_SUBDIR = "transplant"
SAMPLES_SUBDIR = "samples"  # the held-out sentences as a checkpoint speaks them
UNUSABLE_FILE = "unusable_checkpoints.json"


class OutsideRootError(ValueError):
    pass


def path_inside(root: str | Path, name: str, suffix: str = "") -> Path:
    """`root/name+suffix`, refused unless it resolves inside `root`: the last guard before a
    write, for names checked on input (utterance ids, sweep names, trial ids) that a stale or
    edited file could still carry."""
    reason = unsafe_name_reason(name)
    path = Path(root) / f"{name}{suffix}"
    if reason is not None or not path.resolve().is_relative_to(Path(root).resolve()):
        raise OutsideRootError(f"{reason or repr(name) + ' leads outside ' + str(root)}: refusing to write {path}")
    return path


def unsafe_name_reason(name: str) -> str | None:
    """Why `name` cannot be one path component (an utterance id, a sweep name), or None when it
    can: it must not be empty, `.` or `..`, and hold no separator and no control character, so
    that nothing built from it lands outside the folder it names a file in."""
    if name in ("", ".", ".."):
        return f"{name!r} is not a file name"
    if "/" in name or "\\" in name:
        return f"{name!r} holds a path separator"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"{name!r} holds a control character"
    return None
