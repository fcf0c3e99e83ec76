import ocpi_engine
from ocpi_engine import _core


def test_version_comes_from_the_rust_crate() -> None:
    assert ocpi_engine.__version__ == _core.__version__
    assert ocpi_engine.__version__.count(".") == 2


def test_every_setting_is_documented_in_the_readme() -> None:
    from pathlib import Path

    from ocpi_engine.settings import Settings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    import re

    documented = set(re.findall(r"`(OCPI_ENGINE_[A-Z_]+)`", "\n".join(
        line for line in readme.splitlines() if line.startswith("| `OCPI_ENGINE_"))))
    missing = {f"OCPI_ENGINE_{field.upper()}" for field in Settings.__struct_fields__} - documented
    assert not missing, f"README's configuration table lacks {sorted(missing)}"
