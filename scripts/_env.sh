# Shared set-up for scripts/demo and scripts/test: a project virtualenv with mmplug installed.
# Sourced, not run. Works on a fresh machine that has only Python 3 (>= 3.10).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMPLUG_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
# Every pip run of these scripts and of what they start (the tests' bundles, the conformance
# peer's own venv) installs the versions the suite last passed with, never the newest of the
# day. scripts/update-constraints re-resolves them.
export PIP_CONSTRAINT="$ROOT/constraints.txt"

# pip's output, shortened to one line per package on the way (the full log is kept).
_pip_progress() {
    awk -v tty="$([ -t 2 ] && echo 1 || echo 0)" '
        /^Collecting / { n++; name = $2; sub(/[<>=!~\[;].*/, "", name)
                         if (tty) printf "\r\033[K    %d packages resolved (%s)", n, name > "/dev/stderr"
                         else printf "    resolved %s\n", name > "/dev/stderr"
                         fflush("/dev/stderr"); next }
        /^Installing collected packages/ { if (tty) printf "\r\033[K" > "/dev/stderr"
                         printf "    installing %d package%s ...\n", n, (n == 1 ? "" : "s") > "/dev/stderr"
                         fflush("/dev/stderr") }
        /^Successfully installed/ { printf "    done\n" > "/dev/stderr"; n = 0 }
    '
}

ensure_venv() {
    local extra="$1"
    local stamp="$VENV/.mmplug-installed-compat-$extra"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating virtualenv $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] ||
       [ "$ROOT/constraints.txt" -nt "$stamp" ]; then
        echo "==> installing mmplug and its dependencies ($extra; about a minute the first time)" >&2
        local log="$VENV/pip-install.log"
        # An editable install whose .pth file is a plain path ("compat"): setuptools' default
        # puts an import finder there that every Python process (mmplug, each plugin, each
        # test's child) runs at start-up. Fall back to the default if the mode is ever gone.
        local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check)
        : >"$log"
        if ! { "${pip[@]}" --upgrade pip &&
               { "${pip[@]}" -e "$ROOT[$extra]" --config-settings editable_mode=compat ||
                 "${pip[@]}" -e "$ROOT[$extra]"; }; } 2>&1 | tee -a "$log" | _pip_progress; then
            tail -n 40 "$log" >&2
            echo "error: installing mmplug failed (full log: $log)" >&2
            exit 1
        fi
        touch "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}
