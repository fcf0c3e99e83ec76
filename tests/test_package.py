import ocpi_engine
from ocpi_engine import _core


def test_version_comes_from_the_rust_crate() -> None:
    assert ocpi_engine.__version__ == _core.__version__
    assert ocpi_engine.__version__.count(".") == 2
