"""The code zip of a direct code deployment: resolved for the target platform, reproducible, clear failures.

The builds are real: pip resolves the demo server's dependencies (agentcore-mcp's own: pydantic, uvicorn,
anyio...) for manylinux2014 from the index (wheels come from pip's cache after the first run).
"""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path

import pytest

from agentcore_mcp._codezip import build_code_zip
from agentcore_mcp.errors import CodeZipError, InvalidRuntimeSpec

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "demo_server.py"
EM_X86_64, EM_AARCH64 = 62, 183


def _machine(elf: bytes) -> int:
    """e_machine of an ELF header (little endian, at offset 18)."""
    assert elf[:4] == b"\x7fELF", "not an ELF file"
    assert elf[5] == 1, "not little endian"
    return int(struct.unpack_from("<H", elf, 18)[0])


def _shared_object(path: Path, package: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith(f"{package}/") and n.endswith(".so")]
        assert len(names) == 1, names
        return archive.read(names[0])


@pytest.fixture(scope="module")
def arm64_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zips") / "demo-arm64.zip"
    built = build_code_zip(DEMO, output=out)
    assert built.path == out
    return out


def test_pydantic_cores_shared_object_in_an_arm64_zip_is_an_aarch64_elf(arm64_zip: Path) -> None:
    assert _machine(_shared_object(arm64_zip, "pydantic_core")) == EM_AARCH64
    with zipfile.ZipFile(arm64_zip) as archive:
        names = archive.namelist()
    so = next(n for n in names if n.startswith("pydantic_core/") and n.endswith(".so"))
    assert "cpython-313-aarch64-linux-gnu" in so


def test_an_x86_64_zip_holds_x86_64_objects(tmp_path: Path) -> None:
    built = build_code_zip(DEMO, output=tmp_path / "x86.zip", architecture="x86_64", runtime="PYTHON_3_12")
    assert _machine(_shared_object(built.path, "pydantic_core")) == EM_X86_64
    assert built.architecture == "x86_64"


def test_two_builds_of_an_unchanged_source_are_byte_identical(arm64_zip: Path, tmp_path: Path) -> None:
    again = build_code_zip(DEMO, output=tmp_path / "again.zip")
    assert again.path.read_bytes() == arm64_zip.read_bytes()
    import hashlib

    assert again.sha256 == hashlib.sha256(arm64_zip.read_bytes()).hexdigest()
    assert again.size == arm64_zip.stat().st_size


def test_the_zip_has_posix_modes_one_timestamp_sorted_entries_and_no_bytecode(arm64_zip: Path) -> None:
    with zipfile.ZipFile(arm64_zip) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    for info in infos:
        mode = info.external_attr >> 16
        assert info.create_system == 3
        if info.is_dir():
            assert stat.S_ISDIR(mode), info.filename
            assert stat.S_IMODE(mode) == 0o755, info.filename
        else:
            assert stat.S_ISREG(mode), info.filename
            assert stat.S_IMODE(mode) in (0o644, 0o755), info.filename
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n or n.startswith("bin/")]
    assert {"main.py", "demo_server.py", "agentcore_mcp/__init__.py"} <= set(names)


def test_the_entry_point_serves_the_source_module(arm64_zip: Path) -> None:
    with zipfile.ZipFile(arm64_zip) as archive:
        launcher = archive.read("main.py").decode()
    assert "main(['serve', 'demo_server'])" in launcher


def test_a_change_to_the_source_changes_the_zip(arm64_zip: Path, tmp_path: Path) -> None:
    changed = tmp_path / "demo_server.py"
    changed.write_text(DEMO.read_text() + "\n# changed\n")
    built = build_code_zip(changed, output=tmp_path / "changed.zip")
    assert built.path.read_bytes() != arm64_zip.read_bytes()


def _native_only_wheel(folder: Path) -> None:
    """A wheel of ``acmcp-fixture-native`` for x86_64 only (CPython 3.13), as a package index may hold."""
    folder.mkdir()
    info = "acmcp_fixture_native-1.0.dist-info"
    tag = "cp313-cp313-manylinux2014_x86_64"
    files = {
        "acmcp_fixture_native/__init__.py": "",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: acmcp-fixture-native\nVersion: 1.0\n",
        f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(folder / f"acmcp_fixture_native-1.0-{tag}.whl", "w") as wheel:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            wheel.writestr(name, text)


def _project_needing_the_native_package(root: Path) -> Path:
    project = root / "fixture_project"
    (project / "fixture_project").mkdir(parents=True)
    (project / "fixture_project" / "__init__.py").write_text("")
    (project / "fixture_project" / "server.py").write_text("app = None\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "fixture-project"\nversion = "0.1.0"\n'
        'dependencies = ["acmcp-fixture-native==1.0"]\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["fixture_project"]\n'
    )
    _native_only_wheel(project / "wheels")
    return project


def test_a_package_without_a_wheel_for_the_target_is_one_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # only the project's wheels/ folder: nothing from the network
    project = _project_needing_the_native_package(tmp_path)
    with pytest.raises(CodeZipError) as caught:
        build_code_zip(project)
    assert caught.value.package == "acmcp-fixture-native"
    message = str(caught.value)
    assert "no wheel of acmcp-fixture-native (needed by fixture-project) for manylinux2014_aarch64" in message
    assert "\n" not in message
    # The same project builds for the platform the wheel is for, so the error was the platform's.
    built = build_code_zip(project, architecture="x86_64")
    assert built.path == project / "dist" / "fixture_project-PYTHON_3_13-x86_64.zip"
    assert ("acmcp-fixture-native", "1.0") in built.packages
    assert built.app == "fixture_project.server"


def test_unknown_runtimes_and_architectures_are_refused_before_building(tmp_path: Path) -> None:
    with pytest.raises(InvalidRuntimeSpec, match=r"PYTHON_3_10, .*got 'NODE_22'"):
        build_code_zip(DEMO, runtime="NODE_22")
    with pytest.raises(InvalidRuntimeSpec, match="arm64 or x86_64, got 'amd64'"):
        build_code_zip(DEMO, architecture="amd64")
    with pytest.raises(InvalidRuntimeSpec, match="neither a project directory"):
        build_code_zip(tmp_path)
