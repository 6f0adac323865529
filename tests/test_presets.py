"""Presets: built-ins load, files validate with line numbers, extends, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipkit.clips.presets import (
    Preset,
    list_presets,
    load_preset,
    option_specs,
    validate_preset_file,
)
from clipkit.errors import PresetError

REQUIRED = {"reels", "tiktok", "shorts", "stories", "feed", "square", "youtube", "x"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtins_load_with_platform_sizes() -> None:
    assert set(list_presets()) >= REQUIRED
    sizes = {n: load_preset(n).size for n in REQUIRED}
    assert sizes["reels"] == sizes["tiktok"] == sizes["shorts"] == (1080, 1920)
    assert sizes["feed"] == (1080, 1350)
    assert sizes["square"] == (1080, 1080)
    assert sizes["youtube"] == (1920, 1080)
    reels = load_preset("reels")
    assert (reels.safe_top, reels.safe_bottom, reels.safe_left) == (0.14, 0.35, 0.06)
    assert reels.loudness == -14.0 and reels.true_peak == -1.5
    assert load_preset("square").name == "square"  # its own name, not feed's


def test_unknown_name_lists_available() -> None:
    with pytest.raises(PresetError, match=r"unknown preset 'reel' \(did you mean 'reels'\?\)"):
        load_preset("reel")
    with pytest.raises(PresetError, match="available: .*tiktok"):
        load_preset("nonsense")


def test_unknown_key_names_file_line_and_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, "mine.yaml", "extends: reels\nfps: 30\nfontsize: 5\n")
    with pytest.raises(PresetError) as e:
        validate_preset_file(path)
    assert str(e.value) == f"{path}: line 3: unknown key 'fontsize' (did you mean 'caption_size'?)"
    path = _write(tmp_path, "b.yaml", "crff: 20\n")
    with pytest.raises(PresetError, match=r"line 1: unknown key 'crff' \(did you mean 'crf'\?\)"):
        validate_preset_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fps: fast\n", r"line 1: 'fps' must be a number"),
        ("width: 1080\nfps: 120\n", r"line 2: 'fps' 120.0 is out of range"),
        ("crf: 20.5\n", r"'crf' must be a whole number"),
        ("reframe: zoom\n", r"'reframe' 'zoom' is not one of auto, crop, blur, fit, center"),
        ("recovery: 1\n", r"'recovery' must be true or false"),
        ("fps: [1,\n", r"line 2: not valid YAML"),
        ("- a\n- b\n", r"must be a mapping"),
        ("min_length: 12\n", r"min_length 12.0 is longer than max_length"),
        ("extends: nope\n", r"line 1: unknown preset 'nope'"),
        # Templates are filled per clip: a bad one is found when the preset is read.
        ("caption: 'Clip {idx}'\n", r"line 1: 'caption' template 'Clip \{idx\}': unknown field"),
        ("output_name: 'a}.mp4'\n", r"'output_name' template 'a\}.mp4': unknown field or format"),
        # ...and so are colours and fonts (they failed every file, after its analysis).
        ("caption_color: '#GGG'\n", r"line 1: 'caption_color' '#GGG' is not a colour"),
        ("fps: 30\ncaption_outline_color: blurple\n", r"line 2: 'caption_outline_color'"),
        ("caption_font: Impact.ttf\n", r"'caption_font' no font 'Impact.ttf' in clipkit.fonts"),
        ("caption_font: bad.yaml\n", r"'caption_font' \S*bad.yaml: cannot load the font"),
    ],
)
def test_bad_values_are_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PresetError, match=message):
        validate_preset_file(_write(tmp_path, "bad.yaml", text))


def test_a_font_file_beside_the_preset_is_found_from_any_folder(tmp_path: Path) -> None:
    from clipkit.clips.presets import font_file

    shipped = Path(font_file("DejaVuSans-Bold.ttf"))
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "Brand.ttf").write_bytes(shipped.read_bytes())
    preset = validate_preset_file(_write(tmp_path, "brand.yaml", "caption_font: fonts/Brand.ttf\n"))
    assert preset.caption_font == str(tmp_path / "fonts" / "Brand.ttf")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = _write(tmp_path, "evil.yaml", "name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(PresetError, match="not valid YAML"):
        validate_preset_file(path)


def test_extends_user_file_and_loops(tmp_path: Path) -> None:
    _write(tmp_path, "base.yaml", "extends: tiktok\ncrf: 24\n")
    child = _write(tmp_path, "child.yaml", "extends: base.yaml\nfps: 60\n")
    p = load_preset(child)
    assert (p.name, p.fps, p.crf, p.safe_bottom) == ("child", 60.0, 24, 0.25)
    _write(tmp_path, "a.yaml", "extends: b.yaml\n")
    _write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(PresetError, match="loops"):
        load_preset(tmp_path / "a.yaml")


def test_resolved_dict_digest_and_overrides() -> None:
    reels = load_preset("reels")
    d = reels.to_dict()
    assert "extends" not in d and Preset(**d) == reels
    assert reels.digest() == load_preset("reels").digest()
    faster = reels.with_overrides(crf=28, fps=None)
    assert faster.crf == 28 and faster.fps == reels.fps
    assert faster.digest() != reels.digest()
    with pytest.raises(PresetError, match="'crf' 99 is out of range"):
        reels.with_overrides(crf=99)


def test_option_specs_share_names_and_defaults() -> None:
    specs = {s["name"]: s for s in option_specs()}
    assert specs["crf"]["default"] == Preset().crf and specs["crf"]["help"]
    assert specs["reframe"]["choices"] == ("auto", "crop", "blur", "fit", "center", "follow")


def test_detection_settings_in_a_preset(tmp_path: Path) -> None:
    from clipkit.detection import DetectOptions

    f = tmp_path / "eager.yaml"
    f.write_text("extends: reels\nsensitivity: 0.8\nmin_gap: 6\n")
    p = load_preset(f)
    assert p.detect_options() == DetectOptions(sensitivity=0.8, min_gap=6.0)
    # An explicit (CLI or API) value wins over the preset's.
    assert p.detect_options(sensitivity=0.2).sensitivity == 0.2
    # The defaults are DetectOptions' own, and changing them does not re-render clips.
    assert load_preset("reels").detect_options() == DetectOptions()
    assert p.digest() == load_preset("reels").digest()


def test_detection_setting_out_of_range(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("extends: reels\n\nsensitivity: 3\n")
    with pytest.raises(PresetError, match=r"bad.yaml: line 3: .*sensitivity"):
        load_preset(f)


@pytest.mark.parametrize("name", ["../escaped", ".", "a/b", ""])
def test_preset_name_is_a_plain_folder_name(tmp_path: Path, name: str) -> None:
    f = tmp_path / "p.yaml"
    f.write_text(f"extends: reels\nname: '{name}'\n")
    with pytest.raises(PresetError, match="line 2: 'name'"):
        load_preset(f)
