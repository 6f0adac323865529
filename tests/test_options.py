"""Every option once: the CLI flag, the preset key and the Python API default of each
field of clipkit.options agree (and a drift in any of them is caught)."""

from __future__ import annotations

import dataclasses
from dataclasses import Field
from pathlib import Path
from typing import Any

import click
import pytest

from clipkit.cli import main
from clipkit.clips.presets import FIELDS, Preset, load_preset
from clipkit.options import (
    DEFAULT_PRESET,
    TEMPLATE_FIELDS,
    DetectOptions,
    ExtrasOptions,
    Options,
    PlanOptions,
    RunOptions,
    default_cache_dir,
    default_of,
    flags_of,
    layered,
    preset_keys,
)
from clipkit.run.batch import CutOptions, DetectJob

KINDS: list[type[Options]] = [DetectOptions, PlanOptions, RunOptions, ExtrasOptions]
ALL = [(kind, f) for kind in KINDS for f in dataclasses.fields(kind)]
IDS = [f"{kind.__name__}.{f.name}" for kind, f in ALL]


def _flag(command: str, name: str) -> click.Option | None:
    found = [p for p in main.commands[command].params if p.name == name]
    return found[0] if found and isinstance(found[0], click.Option) else None


def cli_problems(f: Field[Any], opt: click.Option, *, layered_default: bool = False) -> list[str]:
    """How a click option differs from its field (none: it agrees). ``layered_default``:
    the flag defaults to None so that a preset's value can apply (detection flags)."""
    meta, problems = f.metadata, []
    spelled = tuple(s for flag in flags_of(f) for s in flag.split("/"))  # --x/--no-x
    if tuple(opt.opts + opt.secondary_opts) != spelled:
        problems.append(f"flags {opt.opts} != {flags_of(f)}")
    if meta["help"][1:] not in (opt.help or ""):
        problems.append(f"help {opt.help!r} does not say {meta['help']!r}")
    if meta["choices"] and tuple(getattr(opt.type, "choices", ())) != meta["choices"]:
        problems.append(f"choices {getattr(opt.type, 'choices', None)} != {meta['choices']}")
    if isinstance(opt.type, click.IntRange):
        bounds, expected = (opt.type.min, opt.type.max), (meta["min"], meta["max"])
        if bounds != expected:
            problems.append(f"range {bounds} != {expected}")
    return problems + _default_problems(f, opt, layered_default)


def _default_problems(f: Field[Any], opt: click.Option, layered_default: bool) -> list[str]:
    """The flag's value when not given, once resolved, is the field's default."""
    ctx = click.Context(main.commands["cut"])
    value = opt.get_default(ctx)
    if layered_default:  # None: the preset's value, else the field's (shown as such)
        shown = opt.show_default
        ok = value is None and shown == str(f.default)
        return [] if ok else [f"default {value!r} (shown {shown!r}) != None ({f.default!r})"]
    if opt.callback is not None and f.name == "cache_dir":
        value = opt.callback(ctx, opt, value)  # made when the run starts
    if opt.multiple:
        value = tuple(value or ())  # type: ignore[arg-type]
    if opt.is_flag and f.default is not None:  # (None: --x/--no-x not given, the preset's)
        value = bool(value)
    expected = default_of(f)
    return [] if value == expected else [f"default {value!r} != {expected!r}"]


def preset_problems(f: Field[Any], key: str, preset_field: Field[Any]) -> list[str]:
    """How a preset key differs from the option field that overrides it."""
    problems = []
    for what in ("help", "min", "max", "choices"):
        if preset_field.metadata.get(what) != f.metadata.get(what):
            problems.append(f"{key}: {what} {preset_field.metadata.get(what)!r} differs")
    if f.default is not None and preset_field.default != f.default:
        problems.append(f"{key}: default {preset_field.default!r} != {f.default!r}")
    return problems


@pytest.mark.parametrize(("kind", "f"), ALL, ids=IDS)
def test_every_field_has_help_and_a_type(kind: type[Options], f: Field[Any]) -> None:
    assert f.metadata["help"], f"{kind.__name__}.{f.name} has no help"
    assert f.metadata["kind"] is not type(None)


@pytest.mark.parametrize(("kind", "f"), ALL, ids=IDS)
def test_the_cli_flag_agrees_with_the_field(kind: type[Options], f: Field[Any]) -> None:
    commands = [c for c in ("cut", "render", "detect") if _flag(c, f.name) is not None]
    assert "cut" in commands, f"cut has no flag for {f.name}"
    for command in commands:
        opt = _flag(command, f.name)
        assert opt is not None
        if command == "detect" and f.name == "force":
            continue  # detect's --force is its own (overwrite an edited plan file)
        assert cli_problems(f, opt, layered_default=kind is DetectOptions) == [], command


@pytest.mark.parametrize("kind", KINDS, ids=[k.__name__ for k in KINDS])
def test_the_preset_keys_agree_with_the_fields(kind: type[Options]) -> None:
    for key, f in preset_keys(kind).items():
        assert key in FIELDS, f"{kind.__name__}.{f.name}: no preset key {key}"
        assert preset_problems(f, key, FIELDS[key]) == []
    # A preset without those keys gives the options' defaults.
    assert layered(DetectOptions, Preset()) == DetectOptions()


@pytest.mark.parametrize(("kind", "f"), ALL, ids=IDS)
def test_the_api_defaults_agree_with_the_fields(kind: type[Options], f: Field[Any]) -> None:
    assert getattr(kind(), f.name) == default_of(f)
    if kind is not DetectOptions:
        assert getattr(CutOptions(), f.name) == default_of(f)
    if f.name in {g.name for g in dataclasses.fields(DetectJob)}:
        assert getattr(DetectJob(), f.name) == default_of(f)


def test_the_doors_share_the_defaults_the_issue_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLIPKIT_CACHE_DIR", str(tmp_path / "c"))
    assert CutOptions().cache_dir == DetectJob().cache_dir == default_cache_dir()
    assert CutOptions().jobs is None and DetectJob().jobs is None  # every core
    assert CutOptions().presets == (DEFAULT_PRESET,) and DetectJob().preset == DEFAULT_PRESET
    detect_preset = _flag("detect", "preset")
    assert detect_preset is not None and detect_preset.default == DEFAULT_PRESET
    hi = DetectOptions.__dataclass_fields__["max_moments"].metadata["max"]
    assert FIELDS["max_moments"].metadata["max"] == hi == 1000
    with pytest.raises(ValueError, match="max_moments must be between 0 and 1000"):
        DetectOptions(max_moments=hi + 1)
    caption = _flag("cut", "caption")
    assert caption is not None
    for name in TEMPLATE_FIELDS:  # one list of fields in both helps
        assert f"{{{name}}}" in (caption.help or "")
        assert f"{{{name}}}" in FIELDS["caption"].metadata["help"]


def test_layering_defaults_then_preset_then_given(tmp_path: Path) -> None:
    f = tmp_path / "eager.yaml"
    f.write_text("extends: reels\nsensitivity: 0.8\n")
    eager = load_preset(f)
    assert layered(DetectOptions) == DetectOptions()
    assert layered(DetectOptions, eager).sensitivity == 0.8
    given = DetectOptions.given(sensitivity=0.2, min_gap=None)
    assert layered(DetectOptions, eager, given) == DetectOptions(sensitivity=0.2)
    assert eager.detect_options(given) == DetectOptions(sensitivity=0.2)
    with pytest.raises(ValueError, match="sensitivity must be between 0 and 1"):
        DetectOptions.given(sensitivity=3)


def test_a_drift_is_caught() -> None:
    """The checks above fail when a flag, a preset key or a default drifts."""
    f = DetectOptions.__dataclass_fields__["min_gap"]
    opt = _flag("cut", "min_gap")
    assert opt is not None and cli_problems(f, opt, layered_default=True) == []
    help_ = f.metadata["help"]
    wrong_flag = click.Option(["--min-gaps", "min_gap"], help=help_, show_default="3.0")
    assert cli_problems(f, wrong_flag, layered_default=True)
    wrong_help = click.Option(["--min-gap", "min_gap"], help="Seconds apart.", show_default="3.0")
    assert cli_problems(f, wrong_help, layered_default=True)
    wrong_default = click.Option(
        ["--min-gap", "min_gap"], help=f.metadata["help"], type=float, show_default="5.0"
    )
    assert cli_problems(f, wrong_default, layered_default=True)
    jobs = RunOptions.__dataclass_fields__["jobs"]
    narrow = click.Option(
        ["-j", "--jobs", "jobs"], type=click.IntRange(2), help=jobs.metadata["help"]
    )
    assert cli_problems(jobs, narrow)
    out = RunOptions.__dataclass_fields__["out_dir"]
    moved = click.Option(
        ["-o", "--out", "--output", "out_dir"], default=Path("clips"), help=out.metadata["help"]
    )
    assert cli_problems(out, moved)
    meta = {**f.metadata, "max": 60.0}
    drifted: Field[Any] = dataclasses.field(default=4.0, metadata=meta)  # type: ignore[arg-type]
    drifted.name = "min_gap"
    assert len(preset_problems(f, "min_gap", drifted)) == 2  # its range, its default
