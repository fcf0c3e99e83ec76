"""`python -m ocpi_engine.cli`: the same as the `ocpi-engine` command."""

from ocpi_engine.cli import main

main()
