#!/usr/bin/env bash
# Starts or stops a moto server (AWS emulator) on 127.0.0.1 for the AWS adapter tests.
#   scripts/moto.sh start|stop|status      port: MOTO_PORT (default 5555)
# Then: HIMS_TEST_AWS_ENDPOINT=http://127.0.0.1:5555 cargo nextest run --features aws --test aws_contracts
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
port="${MOTO_PORT:-5555}"
state_dir="${MOTO_STATE_DIR:-$root/target/moto}"
pid_file="$state_dir/moto-$port.pid"
log_file="$state_dir/moto-$port.log"
python="$root/.venv/bin/python"
url="http://127.0.0.1:$port"

answers() { curl -fsS -o /dev/null --max-time 1 "$url/moto-api/" 2>/dev/null; }

running_pid() {
    [[ -f "$pid_file" ]] || return 1
    local pid
    pid="$(cat "$pid_file")"
    kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
    if pid="$(running_pid)"; then
        echo "moto already running (pid $pid) at $url"
        return 0
    fi
    [[ -x "$python" ]] || { echo "no $python: create the venv (python3 -m venv .venv && .venv/bin/pip install 'moto[server]')" >&2; exit 1; }
    if answers; then
        echo "port $port is already served by another process; set MOTO_PORT" >&2
        exit 1
    fi
    mkdir -p "$state_dir"
    # `moto_server` with one change: requests are handled one at a time.
    # moto's threaded server does not make a conditional write atomic (two
    # concurrent compare-and-sets on one item both won), which DynamoDB does.
    MOTO_PORT="$port" "$python" - "$port" >"$log_file" 2>&1 <<'PY' &
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

moto = DomainDispatcherApplication(create_backend_app)
one_at_a_time = threading.Lock()

def app(environ, start_response):
    with one_at_a_time:
        return list(moto(environ, start_response))

run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
PY
    echo $! >"$pid_file"
    # Poll until it answers: at most 300 tries, 0.1 s apart (curl itself waits up to 1 s).
    for _ in $(seq 300); do
        if answers; then
            echo "moto running (pid $(cat "$pid_file")) at $url"
            return 0
        fi
        if ! running_pid >/dev/null; then
            echo "moto exited during start; log: $log_file" >&2
            tail -n 20 "$log_file" >&2
            rm -f "$pid_file"
            exit 1
        fi
        sleep 0.1
    done
    echo "moto did not answer at $url in time; log: $log_file" >&2
    stop
    exit 1
}

stop() {
    if pid="$(running_pid)"; then
        kill "$pid"
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "moto stopped (pid $pid)"
    else
        echo "moto not running"
    fi
    rm -f "$pid_file"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if pid="$(running_pid)"; then echo "running (pid $pid) at $url"; else echo "not running"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
