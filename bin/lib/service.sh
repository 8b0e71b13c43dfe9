# Shared by the scripts that need a running latentserve of their own (benchmarks, training the shipped models): the
# packaged jar started on loopback with a generated admin key and a scratch data directory, stopped on exit.
# Sets: JAVA_HOME, work (a scratch folder, removed on exit), key, base, server (the pid). Extra Spring Boot arguments
# can be passed to start_service. Port: $SERVICE_PORT, default 18085. SERVICE_JAR=path runs that jar instead of building
# one (a long run keeps its own copy, so a build in the checkout cannot rewrite the jar under it). SERVICE_CPUS=list
# runs it under taskset -c list (a benchmark keeps the load generator's core for itself).

start_service() { # [spring boot arguments...]
  JAVA_HOME=$(bin/java-home); export JAVA_HOME
  local jar=${SERVICE_JAR:-} port=${SERVICE_PORT:-18085}
  if [ -z "$jar" ]; then
    ./mvnw -q -B -DskipTests package
    jar=$(ls target/latentserve-*.jar | grep -v original | head -1)
  fi
  work=$(mktemp -d)
  key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n")
  base="http://127.0.0.1:$port"
  trap 'stop_service' EXIT
  local pin=()
  [ -n "${SERVICE_CPUS:-}" ] && pin=(taskset -c "$SERVICE_CPUS")
  "${pin[@]}" "$JAVA_HOME/bin/java" -Dai.djl.offline=true -jar "$jar" --server.port="$port" --latentserve.storage.root="$work/data" \
    --logging.level.root=WARN --latentserve.security.admin-key="$key" \
    --latentserve.security.rate-limit.requests-per-second=1000000 --latentserve.security.rate-limit.burst=1000000 \
    "$@" > "$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 180); do curl -fs "$base/actuator/health/readiness" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "the service did not become ready; its log:" >&2
  tail -50 "$work/server.log" >&2
  exit 1
}

stop_service() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null
  wait 2>/dev/null
  [ -n "${work:-}" ] && rm -rf "$work"
}

# curl with the key, failing on HTTP errors (the problem's body is still printed).
api() { curl -s --fail-with-body -H "X-API-Key: $key" "$@"; }

# Submits a job (JSON body) and waits for it; prints its final JSON; fails unless it succeeded.
run_job() { # body
  local id state
  id=$(api -X POST "$base/v1/jobs" -H 'Content-Type: application/json' -d "$1" | jq -r .id)
  local job line last=''
  while :; do
    job=$(api "$base/v1/jobs/$id")
    state=$(jq -r .state <<<"$job")
    case $state in SUCCEEDED|FAILED|CANCELLED) break ;; esac
    # One line per finished epoch on stderr, so a long run shows where it is.
    line=$(jq -r '.progress | select(. != null) | (.phase // "train") as $phase
      | "\($phase): \([.history[] | select((.phase // "train") == $phase)] | length) of \(.epochs) epochs done"' <<<"$job")
    [ -n "$line" ] && [ "$line" != "$last" ] && echo "  $(date -u +%H:%M) $line" >&2 && last=$line
    sleep 5
  done
  api "$base/v1/jobs/$id"
  [ "$state" = SUCCEEDED ]
}
