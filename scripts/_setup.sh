# Shared by scripts/serve and scripts/test: make .venv and install ocpi-engine into it (building the
# Rust extension in release mode). Sourced, not run. EXTRAS selects optional dependency groups.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OCPI_ENGINE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo (Rust) is needed to build the extension; install it with rustup, then rerun." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
echo "==> installing ocpi-engine${EXTRAS:+[$EXTRAS]} (builds the Rust extension; first build takes a few minutes)"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "maturin>=1.9.4,<2"
"$VENV/bin/python" -m pip install -q -e "$ROOT${EXTRAS:+[$EXTRAS]}"
export PATH="$VENV/bin:$PATH"
