"""Where things live inside a sweep's directory (STORAGE/NAME) and inside a trial checkpoint.
One place for the names, so the sweep that writes them and the report and pick that read them
cannot drift apart.

    STORAGE/NAME/
      voxgraft_sweep.json      the sweep file and trial context, for --resume, report and pick
      results/                 the Parquet results store (sweep/store.py)
      references/              anchors.json and the recipient's and donor's renderings
      report/                  index.html and summary.md (voxgraft report)
      <trial>/checkpoint_*/    transplant/ (organ-delta checkpoint), samples/, trainer.pt
"""

SPEC_FILE = "voxgraft_sweep.json"
RESULTS_DIR = "results"
REFERENCES_DIR = "references"
REPORT_DIR = "report"
TRANSPLANT_SUBDIR = "transplant"
SAMPLES_SUBDIR = "samples"  # the held-out sentences as a checkpoint speaks them
