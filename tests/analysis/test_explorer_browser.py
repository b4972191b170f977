"""The report's trial explorer in a real browser (Debian's chromium through its chromedriver,
driven by selenium): sort, filter, click a trial in the table and on the scatter and hear that
trial, from a copy of the page in another folder, with no request leaving the page. A
screenshot of the page's top is kept in test-artifacts/ for a person to look at."""

import json
import math
import os
import shutil
from pathlib import Path

import pytest

from tests.browser import chromium_driver, missing
from voxgraft.analysis import synthetic_store
from voxgraft.analysis.audio import data_uri
from voxgraft.analysis.explorer import EXTRA_LISTEN, listen_checkpoints
from voxgraft.analysis.report import analyse, best_trials, write_report

pytestmark = pytest.mark.slow
ARTIFACTS = Path(os.environ.get("VOXGRAFT_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
TRIALS = 28 * 3


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The report of an 84-trial store whose trials each kept tones, copied alone to another folder."""
    sweep = tmp_path_factory.mktemp("explorer_sweep")
    synthetic_store.build(sweep / "results", trials=TRIALS, reports=3, sounds=True, knobs=True)
    analysis = analyse(sweep)
    top = best_trials(analysis, 3)
    html = write_report(analysis, top).html
    copied = tmp_path_factory.mktemp("copied") / "index.html"
    shutil.copy(html, copied)
    return copied, analysis, top


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if missing():
        pytest.skip(f"{missing()}; CI installs them")
    driver = chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def opened(page, browser):
    copied, analysis, top = page
    browser.get(copied.as_uri())
    browser.find_element("id", "vx-count")
    return browser, analysis, top


def _column(driver, name: str) -> list[str]:
    return driver.execute_script(
        "const k = [...document.querySelectorAll('.vx-trials thead th')].findIndex(th => th.dataset.col === arguments[0]);"
        "return [...document.querySelectorAll('.vx-trials tbody tr')].map(r => r.children[k].textContent);", name)


def _choose(driver, select_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", select_id)).select_by_value(value)


def _player(driver) -> dict[str, list[str]]:
    return driver.execute_script(
        "const out = {trial: [], recipient: [], donor: []};"
        "document.querySelectorAll('#vx-player audio').forEach(a => out[a.dataset.plays].push(a.src));"
        "out.about = document.querySelector('#vx-player p').textContent; return out;")


def test_the_table_sorts_best_first_then_reverses(opened):
    driver, _, _ = opened
    assert f" of {TRIALS} trials" in driver.find_element("id", "vx-count").text  # the knobs are not counted
    driver.find_element("css selector", "th[data-col='transfer_timbre']").click()
    values = [float(v) for v in _column(driver, "transfer_timbre")]
    assert len(values) == min(TRIALS, 100) and values == sorted(values, reverse=True)  # higher is better: best first
    driver.find_element("css selector", "th[data-col='transfer_timbre']").click()
    assert [float(v) for v in _column(driver, "transfer_timbre")] == sorted(values)


def test_filters_by_organ_set_and_by_a_trained_organ(opened):
    driver, analysis, _ = opened
    _choose(driver, "vx-organs", "decoder")
    assert set(_column(driver, "organs")) == {"decoder"}
    assert driver.find_element("id", "vx-count").text.startswith(f"{(analysis.trials['organs'] == 'decoder').sum()} of {TRIALS}")
    _choose(driver, "vx-organs", "")
    _choose(driver, "vx-trains", "flow")
    organs = _column(driver, "organs")
    assert organs and all("flow" in o.split(",") for o in organs) and len(organs) == analysis.trials["organ:flow"].sum()
    _choose(driver, "vx-trains", "")


def test_clicking_a_row_plays_that_trial_beside_the_recipient_and_the_donor(opened, page):
    driver, analysis, top = opened
    sweep = analysis.sweep_dir
    listened = listen_checkpoints(analysis, top)
    assert len(listened) == len(top) + EXTRA_LISTEN
    best, extra = top["trial_id"].iloc[0], list(listened)[-1]
    unheard = next(t for t in analysis.trials["trial_id"] if t not in listened)
    for trial, sentences in ((best, synthetic_store.SENTENCES), (extra, synthetic_store.SENTENCES[:1])):
        driver.find_element("id", "vx-text").clear()
        driver.find_element("id", "vx-text").send_keys(trial)
        driver.find_element("css selector", ".vx-trials tbody tr").click()
        heard = _player(driver)
        assert heard["about"].startswith(f"trial {trial}:")
        assert heard["trial"] == [data_uri(Path(listened[trial], "samples", f"{s}.wav")) for s in sentences]
        assert heard["recipient"] == [data_uri(sweep / "references" / "recipient" / f"{s}.wav") for s in sentences]
        assert heard["donor"] == [data_uri(sweep / "references" / "donor" / f"{s}.wav") for s in sentences]
    driver.find_element("id", "vx-text").clear()
    driver.find_element("id", "vx-text").send_keys(unheard)
    driver.find_element("css selector", ".vx-trials tbody tr").click()
    assert "No sample of this trial is in the page" in driver.find_element("id", "vx-player").text
    driver.find_element("id", "vx-text").clear()
    driver.find_element("id", "vx-text").send_keys(" ")  # an input event with an empty filter: every trial again


def test_clicking_a_point_on_the_scatter_selects_its_trial(opened):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, analysis, _ = opened
    timbre = analysis.fronts["timbre"]
    target = timbre.loc[timbre["on_front"], "trial_id"].iloc[0]
    x, y = driver.execute_script("return window.voxgraftExplorer.pointOf(arguments[0]);", target)
    canvas = driver.find_element("id", "vx-scatter")
    size = canvas.size  # drawn at its own size (520 x 380): canvas pixels are CSS pixels
    ActionChains(driver).move_to_element_with_offset(canvas, x - size["width"] / 2, y - size["height"] / 2).click().perform()
    chosen = _player(driver)["about"].split(":")[0].removeprefix("trial ")
    cx, cy = driver.execute_script("return window.voxgraftExplorer.pointOf(arguments[0]);", chosen)
    assert chosen == target or math.dist((x, y), (cx, cy)) < 1  # another trial drawn on the very same spot


def test_no_request_leaves_the_page_and_the_script_logs_no_error(opened, page):
    driver, _, _ = opened
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    assert driver.save_screenshot(str(ARTIFACTS / "report-top.png"))
    sent = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    mine = [m["params"] for m in sent if m["method"] == "Network.requestWillBeSent" and m["params"]["documentURL"] == page[0].as_uri()]
    urls = [p["request"]["url"] for p in mine]  # the page itself, and whatever it asked for (chromium's own start page aside)
    assert page[0].as_uri() in urls and all(url.startswith(("file:", "data:")) for url in urls), [u[:80] for u in urls]
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors


def test_the_knobs_are_reference_marks_not_trials(opened):
    driver, analysis, _ = opened
    assert driver.execute_script("return window.voxgraftExplorer.knobs()") == ["tempo knob", "voice knob"]
    assert len(analysis.trials) == TRIALS and sorted(analysis.knobs["trial_id"]) == ["knob-tempo", "knob-voice"]
    assert f" of {TRIALS} trials" in driver.find_element("id", "vx-count").text  # the knobs are not counted
