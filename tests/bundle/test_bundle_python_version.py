"""``server.python_version`` names the CPython versions a bundle vendors for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bundle_support import Wheelhouse, build, copy_sample

from mmplug.bundle.targets import current_python, plan_pythons
from mmplug.errors import BundleError, ManifestError
from mmplug.manifest import PythonVersionError, python_versions, validate_manifest

ALL = ["3.10", "3.11", "3.12", "3.13", "3.14"]


@pytest.mark.parametrize(("spec", "versions"), [
    ("3.10", ["3.10"]),
    ("3.12.4", ["3.12"]),
    (">=3.9", ALL),  # 3.9 is not vendorable; the rest of the range is
    (">=3.10,<3.13", ["3.10", "3.11", "3.12"]),
    ("~=3.11", ["3.11", "3.12", "3.13", "3.14"]),
    ("==3.*", ALL),
    (">=3.10, !=3.12", ["3.10", "3.11", "3.13", "3.14"]),
    ("<=3.11.2", ["3.10", "3.11"]),
])
def test_a_version_or_a_specifier_names_cpython_versions(spec: str, versions: list[str]) -> None:
    assert python_versions(spec) == versions


@pytest.mark.parametrize(("spec", "words"), [
    ("2.7", "'2.7': mmplug cannot vendor for CPython 2.7 (the SDK runs on CPython 3.10 to 3.14)"),
    ("3.9", "mmplug cannot vendor for CPython 3.9"),
    (">=4", "'>=4' names no CPython version mmplug can vendor for"),
    ("<3.10", "names no CPython version"),
    ("python3", "is neither a version (3.11) nor a version specifier (>=3.10)"),
    (3.1, "must be a string, not a number"),
])
def test_what_mmplug_cannot_vendor_for_is_a_clear_error(spec: Any, words: str) -> None:
    with pytest.raises(PythonVersionError) as caught:
        python_versions(spec)
    assert words in caught.value.message
    assert '"3.11" or ">=3.10"' in caught.value.hint


def test_the_validator_reports_it_for_bundling_and_lets_the_server_run_it() -> None:
    data = json.loads((Path(__file__).parents[1] / "fixtures" / "bundle_sample" / "plugin.json")
                      .read_text())
    data["server"]["python_version"] = "2.7"
    [finding] = validate_manifest(data)
    assert (finding.path, finding.severity, finding.load) == (
        "server.python_version", "error", "warning")  # the server does not read the field


def test_plans() -> None:
    here = current_python()
    other = "3.10" if here != "3.10" else "3.12"
    assert plan_pythons(None, ">=3.10,<3.13") == (["3.10", "3.11", "3.12"], [], [])
    pythons, warnings, notes = plan_pythons(None, other)
    assert (pythons, warnings) == ([other], [])
    assert notes == [f"the bundle vendors for server.python_version '{other}' (CPython {other}), "
                     f"not for the Python {here} running mmplug (the one your tests ran on)"]
    pythons, warnings, notes = plan_pythons([here], other)
    assert pythons == [here] and notes == []
    assert warnings == [f"--python {here} is outside server.python_version '{other}' (CPython "
                        f"{other}): the bundle vendors for it as asked; add it to "
                        "python_version if the plugin supports it"]
    assert plan_pythons([other], ">=3.10")[1] == []  # inside: no word
    pythons, warnings, notes = plan_pythons(None, None)
    assert pythons == [here] and "plugin.json has no server.python_version" in notes[0]


def _declare(project: Path, spec: Any) -> None:
    data = json.loads((project / "plugin.json").read_text())
    data["server"]["python_version"] = spec
    (project / "plugin.json").write_text(json.dumps(data))


def test_the_manifests_version_is_what_gets_vendored(wheelhouse: Wheelhouse,
                                                     tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    _declare(project, wheelhouse.python)
    result = build(project, wheelhouse, pythons=None)
    assert result.targets == [f"{wheelhouse.platform}-cp{wheelhouse.python.replace('.', '')}"]
    assert not [n for n in result.notes if "python" in n.lower()]


def test_another_version_is_vendored_for_it_not_for_the_running_python(
        wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    """The wheelhouse only has wheels for the Python running mmplug: vendoring for the
    manifest's version has to ask for that version's wheels."""
    other = "3.10" if wheelhouse.python != "3.10" else "3.12"
    project = copy_sample(tmp_path)
    _declare(project, other)
    with pytest.raises(BundleError) as caught:
        build(project, wheelhouse, pythons=None)
    assert f"Python {other}" in caught.value.message


def test_bundling_outside_the_manifests_versions_says_so(wheelhouse: Wheelhouse,
                                                         tmp_path: Path) -> None:
    other = "3.10" if wheelhouse.python != "3.10" else "3.12"
    project = copy_sample(tmp_path)
    _declare(project, other)
    result = build(project, wheelhouse)  # --python <the running one>
    assert result.targets == [f"{wheelhouse.platform}-cp{wheelhouse.python.replace('.', '')}"]
    assert (f"--python {wheelhouse.python} is outside server.python_version '{other}'"
            in " ".join(result.warnings))


def test_a_version_mmplug_cannot_vendor_for_stops_the_bundle_first(
        wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    project = copy_sample(tmp_path)
    _declare(project, "2.7")
    with pytest.raises(ManifestError) as caught:
        build(project, wheelhouse, pythons=None)
    assert ("server.python_version: '2.7': mmplug cannot vendor for CPython 2.7"
            in caught.value.details)
    assert not (project / "dist").exists()
