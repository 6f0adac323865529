"""Fuzzing the readers of files a person writes (presets, plans): whatever the text,
a reader either loads it or raises clipkit's own error, and never takes a second.

Two kinds of input: any text (and any bytes), and YAML documents built from the
readers' own keys with hostile values: aliases and alias bombs, non-finite and huge
numbers, odd tags, bad dates, deep nesting, values of the wrong type. Derandomized, so
that the suite is the same on every run; ~200 cases per reader.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clipkit.clips.plan import ClipPlan, edited_by_hand, load_plans
from clipkit.clips.presets import FIELDS, Preset, validate_preset_file
from clipkit.errors import ClipkitError, InputError, PresetError

FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=1),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Each read takes less than this of the CPU (CPU time, not the wall clock's: a loaded
# machine stretches the one, not the other; a blow-up shows in both). The deadline
# above bounds each case's wall time too.
PER_CASE = 1.0

PRESET_KEYS = [*FIELDS, "extends"]
PLAN_KEYS = [
    "source", "index", "start", "end", "peak", "score", "caption", "recovery_caption",
    "output", "preset", "recovery_source", "recovery_start", "recovery_end",
    "recovery_note", "recovery_still", "note", "caption_style", "lesson",
]  # fmt: skip

# Scalars as a person (or an attacker) might write them, each as YAML text.
NASTY = [
    ".inf", "-.inf", ".nan", ".NaN", "1.0e+999", "-1e999", "1e300", "1_000", "0x1F", "0o17",
    "0b101", "1:30", "1:30.5", "190:20:30", "9" * 30, "9" * 400, "9" * 5000,
    "-" + "9" * 400, "9" * 400 + ":30.5", "1" + ":1" * 2000, "2001-12-14", "2001-13-45",
    "2001-12-14t21:59:43.10-05:00", "~", "null", "yes", "no", "on", "off", "true", "''",
    "!!binary aGVsbG8=", "!!binary '###'", "!!set {a, b}", "!!omap [a: 1]",
    "!!python/object:os.system x", "!!str 5", "!!int abc", "!!int ''", "!!float xyz",
    "!!bool maybe", "!!timestamp never", "!!null x", "!!map [a]", "!!seq {a: 1}", "=",
    "'{stem.__class__}'", "'{index[0]}'", "'{line:>99999999}'", "'{seconds:.999f}'",
    "'{}'", "'{line!z}'", "'{stem} {time} {preset}'", "'#ffffff'", "notacolour",
    "DejaVuSans-Bold.ttf", "/dev/zero", "/", "reels", "'reels\\0'", "../x.mp4",
    "manifest.json", "index.html", "a.mp4", "question", "'" + "x" * 300 + "'",
    "'" + "x" * 5000 + "'", "'a\\0b'",
]  # fmt: skip


def _quoted(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def _scalars() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.integers().map(str),
        st.integers(min_value=-(10**500), max_value=10**500).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.booleans().map(str),
        st.text(max_size=40).map(_quoted),
    )


class _YamlWriter:
    """Writes one hostile YAML document from hypothesis draws."""

    def __init__(self, draw: st.DrawFn, keys: list[str]) -> None:
        self.draw, self.keys = draw, keys
        self.anchors: list[str] = []

    def key(self) -> str:
        odd = ["1", "~", ".nan", "[a]", "{a: 1}", "<<", "=", "yes", "!!int x"]
        return self.draw(
            st.one_of(
                st.sampled_from(self.keys),
                st.sampled_from(odd),
                st.text(max_size=10).map(_quoted),
            )
        )

    def node(self, depth: int) -> str:
        """A value nested up to 4 deep: scalars, lists, maps, anchors and aliases."""
        kinds = ["scalar"] * 5 + ["alias"] + (["list", "map", "anchor"] if depth < 4 else [])
        kind = self.draw(st.sampled_from(kinds))
        if kind == "alias":  # of an anchor defined before, or of none
            return "*" + self.draw(st.sampled_from(self.anchors or ["nowhere"]))
        if kind == "anchor":
            name = f"a{len(self.anchors)}"
            text = f"&{name} {self.node(depth + 1)}"
            self.anchors.append(name)
            return text
        n = self.draw(st.integers(0, 4))
        if kind == "list":
            return "[" + ", ".join(self.node(depth + 1) for _ in range(n)) + "]"
        if kind == "map":
            return "{" + ", ".join(f"{self.key()}: {self.node(depth + 1)}" for _ in range(n)) + "}"
        return self.draw(_scalars())

    def mapping(self) -> list[str]:
        return [f"{self.key()}: {self.node(0)}" for _ in range(self.draw(st.integers(0, 8)))]

    def extra(self) -> list[str]:
        """Now and then an alias bomb, deep nesting or a merge key, before the rest."""
        kind = self.draw(
            st.sampled_from(["", "", "", "bomb", "deep list", "deep map", "deep block", "merge"])
        )
        if kind == "bomb":  # each level ten of the one before: 10**depth values
            depth = self.draw(st.integers(2, 9))
            lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
            return lines + [
                f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, depth)
            ]
        if kind.startswith("deep"):
            # (Block nesting indents: 5,000 levels would be 25 MB of spaces.)
            most = 300 if kind == "deep block" else 5000
            depth = self.draw(st.sampled_from([50, 99, 100, 101, 300, 1000, 5000]))
            depth = min(depth, most)
            nested = {
                "deep list": "[" * depth + "]" * depth,
                "deep map": "{a: " * depth + "1" + "}" * depth,
                "deep block": "\n" + "".join("  " * i + "-\n" for i in range(depth)),
            }[kind]
            return [f"{self.key()}: {nested}"]
        if kind == "merge":
            how = self.draw(st.sampled_from(["*base", "[*base, *base]", "*nowhere", "1"]))
            return [f"base: &base {{{self.key()}: {self.node(2)}}}", f"<<: {how}"]
        return []


@st.composite
def yaml_documents(draw: st.DrawFn, keys: list[str], top: str = "") -> str:
    """A YAML document: a mapping of mostly ``keys`` (with ``top``, a list of such
    mappings under that key) with hostile values (see _YamlWriter)."""
    w = _YamlWriter(draw, keys)
    lines = w.extra()
    if top:
        lines += [f"version: {draw(_scalars())}", f"{top}:"]
        lines += ["  - {" + ", ".join(w.mapping()) + "}" for _ in range(draw(st.integers(0, 3)))]
    else:
        lines += w.mapping()
    return "\n".join(lines) + "\n"


_JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**500), max_value=10**500),
        st.floats(),  # NaN and Infinity too: json writes them as bare words
        st.text(max_size=20),
        st.sampled_from(["a.mp4", "../a.mp4", "manifest.json", "{stem.__class__}", "x" * 300]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(PLAN_KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=20,
)


@st.composite
def json_documents(draw: st.DrawFn) -> str:
    """A JSON plan file: clips of mostly known keys with values of any JSON type, or
    now and then raw number tokens JSON allows but no float holds, or deep nesting."""
    clip = st.dictionaries(st.sampled_from(PLAN_KEYS), _JSON_VALUES, max_size=10)
    doc = {"version": draw(_JSON_VALUES), "clips": draw(st.lists(clip, max_size=3))}
    text = json.dumps(doc)
    extra = draw(st.sampled_from(["", "", "", "number", "deep"]))
    if extra == "number":
        token = draw(st.sampled_from(["9" * 400, "-" + "9" * 5000, "1e999", "1" + "0" * 30]))
        text = text.replace('"clips": [', f'"clips": [{{"start": {token}}}, ', 1)
    elif extra == "deep":
        depth = draw(st.sampled_from([100, 1000, 100_000]))
        text = text.replace('"clips": [', '"clips": [' + "[" * depth + "]" * depth + ", ", 1)
    return text


def _check(read: Callable[[Path], Any], path: Path, data: bytes) -> Any:
    """``read(path)`` with ``data`` in it: its result, or None when it raised clipkit's
    own error; anything else fails the test, as does a case over PER_CASE seconds."""
    path.write_bytes(data)
    t0 = time.process_time()
    try:
        return read(path)
    except ClipkitError as e:
        assert str(e).startswith(str(path)), f"the message names the file: {e}"
        return None
    finally:
        assert time.process_time() - t0 < PER_CASE, f"{len(data)} bytes took too long"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check_preset(folder: Path, data: bytes) -> None:
    preset = _check(validate_preset_file, folder / "fuzz.yaml", data)
    assert preset is None or isinstance(preset, Preset)


def _check_plans(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"plan{suffix}"
    plans = _check(load_plans, path, data)
    for p in plans or []:
        _assert_typed(p)
    assert isinstance(_check(edited_by_hand, path, data), bool)


def _assert_typed(plan: ClipPlan) -> None:
    """A loaded plan holds what its fields say: later stages can trust it."""
    assert isinstance(plan.source, str) and isinstance(plan.index, int)
    for x in (plan.start, plan.end, plan.peak, plan.score):
        assert isinstance(x, float) and math.isfinite(x)
    for maybe in (plan.recovery_start, plan.recovery_end):
        assert maybe is None or (isinstance(maybe, float) and math.isfinite(maybe))
    for s in (plan.caption, plan.recovery_caption, plan.recovery_source):
        assert s is None or isinstance(s, str)
    for s in (plan.output, plan.preset, plan.recovery_note, plan.note, plan.caption_style):
        assert isinstance(s, str)
    assert isinstance(plan.recovery_still, bool)


@FUZZ
@given(text=st.text(max_size=300))
def test_preset_reader_on_any_text(folder: Path, text: str) -> None:
    _check_preset(folder, text.encode("utf-8"))


@FUZZ
@given(data=st.binary(max_size=300))
def test_preset_reader_on_any_bytes(folder: Path, data: bytes) -> None:
    _check_preset(folder, data)


@FUZZ
@given(doc=yaml_documents(PRESET_KEYS))
def test_preset_reader_on_hostile_yaml(folder: Path, doc: str) -> None:
    _check_preset(folder, doc.encode("utf-8"))


@FUZZ
@given(text=st.text(max_size=300), suffix=st.sampled_from([".yaml", ".json"]))
def test_plan_reader_on_any_text(folder: Path, text: str, suffix: str) -> None:
    _check_plans(folder, text.encode("utf-8"), suffix)


@FUZZ
@given(doc=yaml_documents(PLAN_KEYS, top="clips"))
def test_plan_reader_on_hostile_yaml(folder: Path, doc: str) -> None:
    _check_plans(folder, doc.encode("utf-8"), ".yaml")


@FUZZ
@given(text=json_documents())
def test_plan_reader_on_hostile_json(folder: Path, text: str) -> None:
    _check_plans(folder, text.encode("utf-8"), ".json")


# What the fuzzing above found (each was a traceback, a second or more, or a plan that
# loaded with a list for a file name), kept as plain cases with the line now said.
FOUND = [
    ("fps: 2001-13-45\n", "line 1: 'fps' 2001-13-45 is not a valid timestamp (month must be"),
    ("fps: !!int abc\n", "line 1: 'fps' abc is not a valid int"),
    ("fps: !!bool maybe\n", "line 1: 'fps' maybe is not a valid bool"),
    ("fps: !!timestamp never\n", "line 1: 'fps' never is not a valid timestamp"),
    ("fps: " + "9" * 400 + "\n", "line 1: 'fps' is too large a number (9999"),
    ("fps: " + "9" * 5000 + "\n", "line 1: 'fps' is too large a number (9999"),
    ("fps: 30\n1: 2\n", "line 2: a key must be text, not 1"),
    ("yes: 2\n", "line 1: a key must be text, not yes"),
    ("? [a]\n: 2\n", "line 1: a key must be text, not a list or mapping"),
    ("fps: " + "[" * 3000 + "]" * 3000 + "\n", "the file nests deeper than 100 levels"),
    ("fps:\n" + "".join("  " * i + "-\n" for i in range(300)), "nests deeper than 100"),
    ("b0: &b0 [1]\n" + "".join(f"b{i}: &b{i} [*b{i - 1}]\n" for i in range(1, 120)),
     "nests deeper than 100"),  # through aliases: each level short as written
]  # fmt: skip
FOUND_IN_PLANS = [
    ("plan.yaml", "clips:\n- {source: [1], index: 1, start: 0, end: 1}\n", "'source' must be"),
    ("plan.yaml", "clips:\n- {source: a.mp4, index: 1e300, start: 0, end: 1}\n", "'index' must be"),
    ("plan.json", '{"clips": [{"start": ' + "9" * 400 + "}]}", "line 1: 'start' is too large"),
    ("plan.json", '{"clips": [{"start": ' + "9" * 5000 + "}]}", "line 1: 'start' is too large"),
    ("plan.json", '{"clips": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deeply"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), FOUND, ids=range(len(FOUND)))
def test_what_the_fuzzer_found_in_presets(folder: Path, text: str, message: str) -> None:
    path = folder / "found.yaml"
    path.write_text(text)
    t0 = time.process_time()
    with pytest.raises(PresetError) as e:
        validate_preset_file(path)
    assert time.process_time() - t0 < PER_CASE
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)


@pytest.mark.parametrize(
    ("name", "text", "message"), FOUND_IN_PLANS, ids=range(len(FOUND_IN_PLANS))
)
def test_what_the_fuzzer_found_in_plans(folder: Path, name: str, text: str, message: str) -> None:
    path = folder / name
    path.write_text(text)
    with pytest.raises(InputError) as e:
        load_plans(path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)


@pytest.mark.parametrize(
    "text",
    [
        'clips:\n  - {"\\ud800\\udc00": 1}\n',  # a key no UTF-8 can hold
        "clips:\n  - {source: !!binary aGVsbG8=}\n",  # bytes, which JSON cannot hold
    ],
)
def test_a_plan_file_whose_clips_cannot_be_digested_is_one_a_person_wrote(
    folder: Path, text: str
) -> None:
    """(Found by the fuzzer: a traceback.) Only plans as clipkit wrote them are
    overwritten; these are not."""
    path = folder / "plan.yaml"
    path.write_text(text)
    assert edited_by_hand(path) is True
