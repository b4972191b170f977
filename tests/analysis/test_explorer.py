"""The explorer's data (analysis/explorer.py) without a browser: a row per trial, the sounds it
adds are the ones the page lacks, and no stored value can close its script."""

import json
import re

import pytest

from voxgraft.analysis import synthetic_store
from voxgraft.analysis.audio import data_uri
from voxgraft.analysis.explorer import EXTRA_LISTEN, listen_checkpoints, payload
from voxgraft.analysis.report import analyse, best_trials, write_report
from voxgraft.sweep.store import ResultsStore

TRIALS = 28


@pytest.fixture(scope="module")
def sounding(tmp_path_factory):
    sweep = tmp_path_factory.mktemp("sounding")
    synthetic_store.build(sweep / "results", trials=TRIALS, reports=2, sounds=True)
    analysis = analyse(sweep)
    return analysis, best_trials(analysis, 3)


def _embedded(page: str) -> dict:
    return json.loads(re.search(r"<script type='application/json' id='vx-data'>(.*?)</script>", page, re.S).group(1))


def test_one_entry_per_trial_in_every_column(sounding):
    analysis, top = sounding
    data = payload(analysis, top, set())
    assert all(len(values) == TRIALS for values in data["values"].values())
    assert data["values"]["trial_id"] == analysis.trials["trial_id"].tolist()
    for organs, trains in zip(data["values"]["organs"], data["trains"]):
        assert sorted(organs.split(",")) == sorted(data["organ_names"][k] for k in trains)
    assert data["front"].count(True) == sum(f["on_front"].sum() for f in analysis.fronts.values()) > 0
    assert data["scatter"] == ["transfer_timbre", "duration_drift"]


def test_the_page_embeds_each_sound_once_and_the_extra_trials_first_sentence(sounding):
    analysis, top = sounding
    page = write_report(analysis, top).html.read_text()
    listened = listen_checkpoints(analysis, top)
    extra = [t for t in listened if t not in set(top["trial_id"])]
    assert len(extra) == EXTRA_LISTEN
    audio = _embedded(page)["audio"]
    first = synthetic_store.SENTENCES[0]
    assert set(audio) == {f"{t}/{first}" for t in extra}  # the recipient's and donor's are in the listening table already
    for trial in extra:
        assert audio[f"{trial}/{first}"] == data_uri(f"{listened[trial]}/samples/{first}.wav")
    table = re.findall(r"data-key='([^']*)' src='", page)
    assert not set(table) & set(audio)
    assert {f"{t}/{s}" for t in top["trial_id"] for s in synthetic_store.SENTENCES} <= set(table)


def test_a_stored_value_cannot_close_the_script(tmp_path):
    store = synthetic_store.build(tmp_path / "results", trials=TRIALS, reports=2)
    hostile = "decoder</script><script>alert(1)</script>"
    rows = [{**r, "config.organs": hostile} for r in store.table().to_pylist() if r["trial_id"] == "t000000"]
    ResultsStore(str(tmp_path / "results")).write_sealed([{**r, "trial_id": "evil"} for r in rows])
    page = write_report(analyse(tmp_path), best_trials(analyse(tmp_path), 1)).html.read_text()
    assert "<script>alert(1)" not in page
    assert hostile in _embedded(page)["values"]["organs"]
