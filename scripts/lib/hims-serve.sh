# Sourced by the scripts that need a running `hims serve` (browser tests, schemathesis,
# load). `start_hims_serve <binary> <folder> <port> [serve options...]` starts it on
# 127.0.0.1:<port> with its data in <folder>/data and its log in <folder>/serve.log,
# waits for /healthz (showing the log if it never answers), and sets HIMS_SERVE_PID.
# The server is stopped and <folder> removed when the calling script exits.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_hims_serve() {
  kill "$HIMS_SERVE_PID" 2>/dev/null || true
  wait "$HIMS_SERVE_PID" 2>/dev/null || true
  rm -rf "$HIMS_SERVE_FOLDER"
}

start_hims_serve() {
  local bin=$1 port=$3
  HIMS_SERVE_FOLDER=$2
  shift 3
  "$bin" serve --addr "127.0.0.1:${port}" --data-dir "$HIMS_SERVE_FOLDER/data" "$@" \
    >"$HIMS_SERVE_FOLDER/serve.log" 2>&1 &
  HIMS_SERVE_PID=$!
  trap stop_hims_serve EXIT
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$HIMS_SERVE_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "hims serve did not start on 127.0.0.1:${port}:" >&2
  cat "$HIMS_SERVE_FOLDER/serve.log" >&2
  exit 1
}
