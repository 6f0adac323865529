# ruff: noqa
"""Reproductions of the review's findings on `clipkit reel` (each test FAILS while the
bug is there). Reuses the fixtures of tests/test_posts_reelrender.py."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clipkit.cli import main
from clipkit.analysis.analyse import cached
from clipkit.clips.plan import ClipPlan, crop_for
from clipkit.clips.presets import load_preset
from clipkit.errors import ClipkitError
from clipkit.media.probe import probe
from clipkit.options import DetectOptions, ExtrasOptions
from clipkit.posts.extras import PostOptions, reel_extras
from clipkit.posts.posttext import PostStyle
from clipkit.posts.reel import ReelOptions, plan_reel
from clipkit.progress import Tally
from clipkit.run.manifest import canonical
from clipkit.run.reel import ReelJob, make_reel
from tests.conftest import SAMPLES
from tests.test_posts_reelrender import Made, cut_out, made, moments  # noqa: F401

pytestmark = pytest.mark.skipif(not (SAMPLES / "labels.yaml").exists(), reason="no samples/")
SAMPLE = SAMPLES / "counter_stir_drop_spill.mp4"


def _overlapping(ms: list[Any]) -> list[tuple[Any, Any]]:
    """Pairs of reel moments that show the same stretch of the same file."""
    pairs = []
    for i, a in enumerate(ms):
        for b in ms[i + 1 :]:
            if canonical(a.source) == canonical(b.source) and (
                a.start < b.start + b.length and b.start < a.start + a.length
            ):
                pairs.append((a, b))
    return pairs


# 1 ------------------------------------------------------------------------------------
def test_same_footage_in_paths_and_in_an_output_folder_is_shown_once(
    made: Made, cut_out: Path
) -> None:
    """A file given as footage whose clips are also in a given output folder."""
    source = cut_out.parent / made.footage[0].name  # one of cut_out's sources
    job = ReelJob(out_dir=cut_out.parent / "o1", preset=str(made.preset), title="Twice",
                  cache_dir=made.cache, top=20, dry_run=True)  # fmt: skip
    report = make_reel([str(source), str(cut_out)], job)
    assert report.reel is not None
    assert _overlapping(moments(report.reel)) == []


def test_two_output_folders_of_the_same_footage_show_each_moment_once(
    made: Made, cut_out: Path
) -> None:
    """Two output folders cut from the same files (e.g. two presets, two runs)."""
    other = cut_out.parent / "out-again"
    if not other.exists():
        shutil.copytree(cut_out, other)  # its records name the same ../ sources
    job = ReelJob(out_dir=cut_out.parent / "o2", preset=str(made.preset), title="Twice",
                  cache_dir=made.cache, top=20, dry_run=True)  # fmt: skip
    report = make_reel([str(cut_out), str(other)], job)
    assert report.reel is not None
    assert _overlapping(moments(report.reel)) == []


# 2 ------------------------------------------------------------------------------------
def test_a_reel_written_into_its_footage_folder_does_not_hide_the_footage(
    tmp_path: Path,
) -> None:
    """`clipkit reel footage/ -o footage/` (cut refuses this; reel does not): the run
    writes manifest.json into footage/, and the next run takes footage/ for an output
    folder with no clips: "no moments in the footage"."""
    footage = tmp_path / "footage"
    footage.mkdir()
    shutil.copy(SAMPLE, footage / SAMPLE.name)
    args = ["reel", str(footage), "-o", str(footage), "-p", "tiktok", "-q",
            "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    first = CliRunner().invoke(main, [*args, "--title", "One"])
    second = CliRunner().invoke(main, [*args, "--title", "Two"])
    # Either refused up front (as cut does) or the footage is still read the second time.
    assert first.exit_code != 0 or "no moments" not in second.output, second.output


def test_a_footage_folder_with_someone_elses_manifest_json_is_still_footage(
    tmp_path: Path,
) -> None:
    """is_output_folder looks at manifest.json only (discover's marker is .clipkit/)."""
    footage = tmp_path / "footage"
    footage.mkdir()
    shutil.copy(SAMPLE, footage / SAMPLE.name)
    (footage / "manifest.json").write_text('{"version": 1}')
    res = CliRunner().invoke(main, ["reel", str(footage), "-o", str(tmp_path / "out"),
                                    "-p", "tiktok", "-q", "--dry-run",
                                    "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert "not a clipkit manifest" not in res.output, res.output


# 3 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [{"recovery": [1.0]}, {"recovery": 5}, {"output": None}])
def test_a_hand_edited_manifest_is_one_line_not_a_traceback(
    tmp_path: Path, bad: dict[str, Any]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    rec = dict(key="k", output="reels/a-1.mp4", cover=None, preset="reels", preset_digest="",
               source=os.path.relpath(SAMPLE, folder), source_fingerprint="", index=1,
               start=1.0, end=4.0, peak=2.0, score=0.9, reasons=[], caption="hi",
               recovery_caption="", recovery=None, recovery_note=None, duration=3.0,
               size_bytes=1)  # fmt: skip
    rec.update(bad)
    (folder / "manifest.json").write_text(json.dumps({"clips": [rec]}))
    res = CliRunner().invoke(main, ["reel", str(folder), "-o", str(tmp_path / "o"), "-q"])
    assert not isinstance(res.exception, (IndexError, TypeError)), repr(res.exception)
    assert res.exit_code == 1 and "clipkit: error:" in res.output


# 4 ------------------------------------------------------------------------------------
def test_a_reel_whose_timeline_fails_is_not_rendered_again_next_run(
    made: Made, cut_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--export otio without opentimelineio: the reel is rendered, then its extras fail
    and no record is kept, so every later run renders the whole reel again (a clip's
    record is kept with its extras' key cleared: clipkit.run.batch.render_clip_job)."""
    job = ReelJob(out_dir=tmp_path / "out", preset=str(made.preset), title="Otio",
                  cache_dir=made.cache, extras=ExtrasOptions(exports="otio"))  # fmt: skip
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "opentimelineio", None)  # not installed
        with pytest.raises(ClipkitError):
            make_reel([str(cut_out)], job)
    reel = tmp_path / "out" / "tiny" / "otio.mp4"
    assert reel.is_file()  # rendered...
    again = make_reel([str(cut_out)], replace(job, extras=ExtrasOptions(exports="")))
    assert not again.made, "the whole reel was rendered a second time"


# 5 ------------------------------------------------------------------------------------
def test_a_reel_made_again_takes_away_the_timelines_no_longer_asked_for(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    job = ReelJob(out_dir=out, preset=str(made.preset), title="Stale", cache_dir=made.cache,
                  top=3, extras=ExtrasOptions(exports="fcpxml"))  # fmt: skip
    first = make_reel([str(cut_out)], job)
    assert first.made and (out / "tiny" / "stale.fcpxml").is_file()
    second = make_reel([str(cut_out)], replace(job, top=2, extras=ExtrasOptions(exports="")))
    assert second.made  # another plan: rendered again
    # The old reel's timeline is still there, describing cuts the new reel does not have.
    assert not (out / "tiny" / "stale.fcpxml").exists()


# 6 ------------------------------------------------------------------------------------
def test_a_reel_framed_without_the_analysis_is_made_again_when_it_is_there(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    """The moments' framing comes from the cached analysis at render time, which the
    reel's key does not hold: a reel made without it (another --cache-dir, a cleared
    cache) is 'up to date' for ever after, framed without the analysis."""
    job = ReelJob(out_dir=tmp_path / "out", preset=str(made.preset), title="Framing",
                  cache_dir=tmp_path / "empty-cache", top=3)  # fmt: skip
    first = make_reel([str(cut_out)], job)
    assert first.made and first.reel is not None
    # The analysis does change the framing of the reel's moments:
    preset = load_preset(str(made.preset))
    differ = False
    for part in moments(first.reel):
        info = probe(part.source)
        sig = cached(info, made.cache)
        end, peak = part.start + part.length, part.start + part.length / 2
        a = crop_for(info, None, preset, part.start, end, peak)
        b = crop_for(info, sig, preset, part.start, end, peak)
        differ |= repr(a) != repr(b)
    assert differ
    second = make_reel([str(cut_out)], replace(job, cache_dir=made.cache))
    assert second.made, "kept the reel framed without the analysis"


# 7 ------------------------------------------------------------------------------------
def test_reel_post_text_counts_the_moments_shown() -> None:
    """Two files of the same name (two cameras, two days' output folders) give clips of
    the same name; reel_extras picks the plans 'shown' by clip name, so a reel of one
    moment is posted as '2 kitchen mishaps'."""
    a = ClipPlan(source="/a/cam.mp4", index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                 caption="A", recovery_caption="", preset="tiny", output="cam-1.mp4")  # fmt: skip
    b = replace(a, source="/b/cam.mp4", score=0.5, caption="B")
    reel = plan_reel([a, b], "Title", ReelOptions(top=1))
    assert reel is not None and sum(p.kind == "moment" for p in reel.parts) == 1
    with tempfile.TemporaryDirectory() as d:
        style = replace(PostStyle(), reel_templates=("{count} moments",))
        made = reel_extras(reel, [a, b], Path(d) / "r.mp4", (180, 320), 25.0,
                           PostOptions(style=style))  # fmt: skip
        text = made["text"].read_text()
    assert text.startswith("1 moments"), text


# 8 (not a bug: checked) -----------------------------------------------------------------
def test_progress_of_a_reel_run_reaches_its_total(made: Made) -> None:
    tally = Tally(len(made.footage) + 1)  # the CLI's total: sources, folders, the reel
    for e in made.events:
        tally.update(e)
    assert tally.finished == tally.total and tally.overall == pytest.approx(1.0)


# 9 ------------------------------------------------------------------------------------
def test_a_reel_has_no_sting_so_its_key_does_not_change_with_the_stings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reel is encoded without a sting cue (run.reel._render -> render_reel ->
    encode(..., cue=None)), yet its key holds preset.digest(), which holds the sting,
    its level and duck and STING_VERSION: new stings re-render every reel."""
    import clipkit.clips.presets as presets_mod
    from clipkit.run.batch import SourceOutcome
    from clipkit.run.reel import _key

    a = ClipPlan(source="/a/cam.mp4", index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                 caption="A", recovery_caption="", preset="reels", output="cam-1.mp4")  # fmt: skip
    reel = plan_reel([a], "Title", ReelOptions(top=1))
    assert reel is not None
    results = [SourceOutcome("/a/cam.mp4", fingerprint="fp")]
    preset = load_preset("reels").with_overrides(sting="boing")
    before = _key(reel, results, preset)
    monkeypatch.setattr(presets_mod, "STING_VERSION", presets_mod.STING_VERSION + 1)
    assert _key(reel, results, preset) == before
    monkeypatch.undo()
    assert _key(reel, results, preset.with_overrides(sting="whoosh")) == before


def test_a_clip_whose_plan_says_no_sting_is_not_remade_for_new_stings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Commit 5d48100: 'the stings made anew remake those clips and no other'. A plan
    with sting "" (none) under a preset with a sting has no sting in its sound, but its
    key changes with STING_VERSION through preset.digest()."""
    import clipkit.clips.presets as presets_mod
    from clipkit.run.manifest import clip_key, keyed_plan

    plan = ClipPlan(source=str(SAMPLE), index=1, start=0.0, end=6.0, peak=3.0, score=0.9,
                    caption="A", recovery_caption="", preset="reels", output="c-1.mp4",
                    sting="")  # fmt: skip
    preset = load_preset("reels").with_overrides(sting="boing")
    before = clip_key("fp", keyed_plan(plan), preset.digest())
    monkeypatch.setattr(presets_mod, "STING_VERSION", presets_mod.STING_VERSION + 1)
    assert clip_key("fp", keyed_plan(plan), preset.digest()) == before


# 10 -----------------------------------------------------------------------------------
def test_an_output_folder_of_other_presets_gives_each_moment_once(tmp_path: Path) -> None:
    """moments_of_output falls back to every preset's clips and keeps 'one per moment'
    by the clip's index; but indexes are per preset (each preset's detection settings
    give its own moments): the same moment comes twice and another is lost."""
    folder = tmp_path / "out"
    folder.mkdir()

    def rec(preset: str, index: int, start: float, caption: str) -> dict[str, Any]:
        return dict(key="k", output=f"{preset}/c-{index}.mp4", cover=None, preset=preset,
                    preset_digest="", source=os.path.relpath(SAMPLE, folder),
                    source_fingerprint="", index=index, start=start, end=start + 5.0,
                    peak=start + 2.0, score=0.5 + start / 100, reasons=[], caption=caption,
                    recovery_caption="", recovery=None, recovery_note=None, duration=5.0,
                    size_bytes=1)  # fmt: skip

    clips = [rec("a", 1, 10.0, "first"), rec("b", 1, 2.0, "earlier"), rec("b", 2, 10.0, "first")]
    (folder / "manifest.json").write_text(json.dumps({"clips": clips}))
    job = ReelJob(out_dir=tmp_path / "o", preset="reels", title="Mixed", top=10, dry_run=True)
    report = make_reel([str(folder)], job)
    assert report.reel is not None
    starts = sorted(round(m.start + m.length / 2) for m in moments(report.reel))
    assert len(starts) == len(set(starts)) == 2, starts  # the moments at 4 s and at 12 s


# 11 -----------------------------------------------------------------------------------
def test_no_caption_twice_in_a_reel_of_footage_and_an_output_folder(
    made: Made, cut_out: Path
) -> None:
    """README: 'Captions chosen for footage are chosen over the reel's own moments, so no
    line comes twice in one reel while the style's lines last'. _worded chooses the
    footage's lines without the folder's clips' lines in view."""
    others = [str(p) for i, p in enumerate(made.footage) if i not in (0, 3)]
    job = ReelJob(out_dir=cut_out.parent / "o3", preset=str(made.preset), title="Mixed",
                  cache_dir=made.cache, top=10, dry_run=True,
                  detect=DetectOptions.given(sensitivity=0.7))  # fmt: skip
    report = make_reel([*others, str(cut_out)], job)
    assert report.reel is not None
    caps = [m.caption for m in moments(report.reel)]
    assert len(caps) == len(set(caps)), caps



# 12 -----------------------------------------------------------------------------------
TINY = "extends: reels\nname: tiny\nwidth: 180\nheight: 320\nx264_preset: superfast\n"


def test_a_reel_ending_on_a_recovery_shot_from_another_file(tmp_path: Path) -> None:
    """The reel's ending comes from the best moment's recovery_source; when that is
    another file (cut --recovery-file, an edited plan), run.reel._with_extras looks it
    up in ``infos``, which holds only the moments' sources: KeyError, a traceback, after
    the reel was rendered (and no record kept)."""
    folder = tmp_path / "out"
    folder.mkdir()
    other = SAMPLES / "handheld_chop_pan_drop.mp4"
    rec = dict(key="k", output="tiny/c-1.mp4", cover=None, preset="tiny", preset_digest="",
               source=os.path.relpath(SAMPLE, folder), source_fingerprint="", index=1,
               start=2.0, end=7.0, peak=4.0, score=0.9, reasons=[], caption="Oops",
               recovery_caption="Fine", recovery=[1.0, 3.0], recovery_note=None,
               duration=7.0, size_bytes=1,
               recovery_source=os.path.relpath(other, folder))  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps({"clips": [rec]}))
    preset = tmp_path / "tiny.yaml"
    preset.write_text(TINY)
    res = CliRunner().invoke(main, ["reel", str(folder), "-o", str(tmp_path / "o"), "-p",
                                    str(preset), "-q", "--title", "End",
                                    "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 0, res.output


# 13 -----------------------------------------------------------------------------------
def test_progress_reaches_100_when_an_output_folder_is_named_reel(
    made: Made, cut_out: Path
) -> None:
    """The reel's own events use source "reel"; an output folder given as "reel" (its
    'done' event has source "reel" too) shares its slot in the tally: the run ends at
    [2/2 · 50 %]."""
    named = cut_out.parent / "reel"
    if not named.exists():
        shutil.copytree(cut_out, named)  # its records name the same ../ sources
    events: list[dict[str, Any]] = []
    job = ReelJob(out_dir=cut_out.parent / "o4", preset=str(made.preset), title="Named",
                  cache_dir=made.cache, dry_run=True)  # fmt: skip
    cwd = os.getcwd()
    os.chdir(cut_out.parent)
    try:
        make_reel(["reel"], job, on_event=events.append)
    finally:
        os.chdir(cwd)
    tally = Tally(2)  # the CLI's total: one folder and the reel
    for e in events:
        tally.update(e)
    assert tally.finished == 2
    assert tally.overall == pytest.approx(1.0)


# 14 -----------------------------------------------------------------------------------
def test_an_output_folder_that_is_a_dangling_symlink_is_one_line(
    made: Made, cut_out: Path, tmp_path: Path
) -> None:
    """check_output_dir(create=False) skips a path that does not exist() -- a dangling
    symlink -- and proves its parent; the reel later fails in mkdir with a traceback
    (cut, with create=True, says 'output folder cannot be written')."""
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone")
    res = CliRunner().invoke(main, ["reel", str(cut_out), "-o", str(link), "-p",
                                    str(made.preset), "-q", "--title", "Dangling",
                                    "--cache-dir", str(made.cache)])  # fmt: skip
    assert not isinstance(res.exception, OSError), repr(res.exception)
    assert "output folder cannot be written" in res.output
