# Shared set-up for scripts/demo and scripts/test: a project virtualenv with mmplug installed.
# Sourced, not run. Works on a fresh machine that has only Python 3 (>= 3.10).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMPLUG_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
    local extra="$1"
    local stamp="$VENV/.mmplug-installed-compat-$extra"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating virtualenv $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "==> installing mmplug and its dependencies ($extra)" >&2
        local log="$VENV/pip-install.log"
        # An editable install whose .pth file is a plain path ("compat"): setuptools' default
        # puts an import finder there that every Python process (mmplug, each plugin, each
        # test's child) runs at start-up, ~10 ms each. Fall back to the default if the mode
        # is ever gone.
        local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check)
        if ! { "${pip[@]}" --upgrade pip &&
               { "${pip[@]}" -e "$ROOT[$extra]" --config-settings editable_mode=compat ||
                 "${pip[@]}" -e "$ROOT[$extra]"; }; } >"$log" 2>&1; then
            tail -n 40 "$log" >&2
            echo "error: installing mmplug failed (full log: $log)" >&2
            exit 1
        fi
        touch "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}
