"""`voxgraft report` at scale: a synthetic store of 10,000 trials x 50 reports (sealed, one
file per trial, as finished trials are stored), then the whole report (read, statistics,
plots, page, summary) timed, median of several runs, with its parts timed side by side. Then
the page in headless Chromium (where chromium and chromedriver are installed): its size, the time
to a drawn explorer (navigation start to load end: the inline script runs before it), and a
sort and a filter of the explorer's table.

    python bench/report_scale.py --trials 10000 --reports 50 --repeats 3
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from tests.browser import chromium_driver, missing
from voxgraft.analysis import synthetic_store
from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.analysis.trials import read_rows

LOAD_MS = "const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;"
CLICK_MS = "const t = performance.now(); arguments[0].click(); return performance.now() - t;"
FILTER_MS = ("const s = document.getElementById('vx-trains'), t = performance.now(); s.value = 'flow';"
             "s.dispatchEvent(new Event('change')); const ms = performance.now() - t; s.value = '';"
             "s.dispatchEvent(new Event('change')); return ms;")


def timed(fn) -> float:
    tick = time.perf_counter()
    fn()
    return time.perf_counter() - tick


def in_chromium(page: Path, repeats: int) -> dict[str, float]:
    """Median ms, over fresh loads of `page`: load (explorer drawn), a sort click, a filter."""
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium_driver(Path(profile))
        try:
            load, sort, flt = [], [], []
            for _ in range(repeats):
                driver.get(page.as_uri())
                load.append(driver.execute_script(LOAD_MS))
                sort.append(driver.execute_script(CLICK_MS, driver.find_element("css selector", "th[data-col='transfer_timbre']")))
                flt.append(driver.execute_script(FILTER_MS))
        finally:
            driver.quit()
    return {"load": statistics.median(load), "sort": statistics.median(sort), "filter": statistics.median(flt)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_s = timed(lambda: synthetic_store.build(root / "results", args.trials, args.reports))
        analyse(root)  # warm-up: imports (optuna.importance pulls scikit-learn, matplotlib) and the page cache
        whole, read, stats, page = [], [], [], []
        for _ in range(args.repeats):
            tick = time.perf_counter()
            read.append(timed(lambda: read_rows(root)))
            t0 = time.perf_counter()
            analysis = analyse(root)
            stats.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            write_report(analysis, best_trials(analysis, 3))
            page.append(time.perf_counter() - t1)
            whole.append(time.perf_counter() - tick - read[-1])  # read_rows again inside analyse: count it once
        size = (root / "report" / "index.html").stat().st_size / 1e6
        browser = None if missing() else in_chromium(root / "report" / "index.html", args.repeats)
        cli = [timed(lambda: subprocess.run([sys.executable, "-m", "voxgraft.cli", "report", str(root)], check=True, capture_output=True))
               for _ in range(args.repeats)]
    print(f"# bench/report_scale.py  {date.today()}  {platform.machine()}  {platform.python_version()}")
    print(f"# {args.trials} trials x {args.reports} reports = {args.trials * args.reports} rows; store built in {build_s:.1f} s")
    print(f"median of {args.repeats}: report {statistics.median(whole):.2f} s (read the store {statistics.median(read):.2f} s, "
          f"statistics incl. read {statistics.median(stats):.2f} s, plots + page + summary {statistics.median(page):.2f} s); page {size:.1f} MB")
    print(f"`voxgraft report` as a fresh process (imports included): {statistics.median(cli):.2f} s")
    if browser is None:
        print(f"headless Chromium: not measured ({missing()})")
    else:
        print(f"headless Chromium, median of {args.repeats} fresh loads: page loaded with the explorer drawn {browser['load']:.0f} ms; "
              f"sort the trial table {browser['sort']:.0f} ms; filter it {browser['filter']:.0f} ms")


if __name__ == "__main__":
    main()
