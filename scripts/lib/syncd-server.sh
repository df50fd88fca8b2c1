# Sourced by scripts: start a syncd on free ports with a temporary database
# and stop it again. Sets SYNCD_PID, SYNCD_WS_URL, SYNCD_HTTP_URL, SYNCD_LOG.
#   start_syncd BINARY WORKDIR [extra flags...]
#   stop_syncd            (SIGTERM; SIGKILL after 7 s; returns syncd's exit status)

start_syncd() {
  local bin=$1 dir=$2 i ws_port="" http_port=""
  shift 2
  SYNCD_LOG=$dir/syncd.log
  # Created here, not by the background job's redirect: that runs in the
  # child after the fork, so the first poll below could find no file (and
  # under set -e -o pipefail a failing sed ends the calling script).
  : >"$SYNCD_LOG"
  "$bin" --host 127.0.0.1 --ws-port 0 --http-port 0 --db "$dir/syncd.db" "$@" >"$SYNCD_LOG" 2>&1 &
  SYNCD_PID=$!
  for ((i = 0; i < 200; i++)); do
    ws_port=$(sed -n 's/.*syncd: websocket listening on .*:\([0-9][0-9]*\).*/\1/p' "$SYNCD_LOG" | head -n1)
    http_port=$(sed -n 's/.*syncd: http listening on .*:\([0-9][0-9]*\).*/\1/p' "$SYNCD_LOG" | head -n1)
    [[ -n $ws_port && -n $http_port ]] && break
    if ! kill -0 "$SYNCD_PID" 2>/dev/null; then
      echo "syncd exited at start:" >&2
      tail -n 20 "$SYNCD_LOG" >&2
      SYNCD_PID=""
      return 1
    fi
    sleep 0.1
  done
  if [[ -z $ws_port || -z $http_port ]]; then
    echo "syncd printed no listening ports within 20 s" >&2
    return 1
  fi
  SYNCD_WS_URL="ws://127.0.0.1:$ws_port"
  SYNCD_HTTP_URL="http://127.0.0.1:$http_port"
}

stop_syncd() {
  [[ -n ${SYNCD_PID:-} ]] || return 0
  local pid=$SYNCD_PID i status=0
  SYNCD_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 70; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || status=$?
  return $status
}
