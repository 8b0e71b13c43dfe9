# Shared by the benchmark scripts: a wrk Lua script per request, one wrk run summarised on one line, the load average.
# Needs: $work (a scratch folder), $key (the API key), $base (the service's URL), and on_client (an array, a command
# prefix that pins the load generator, or empty).

# Writes $work/<name>.lua: a POST of the JSON body to path with the key.
lua() { # name path body
  cat > "$work/$1.lua" <<EOF
wrk.method = "POST"
wrk.path = "$2"
wrk.body = '$3'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "$key"
EOF
}
# One wrk run: prints "2xx/s requests/s p50 p99 non2xx socket-errors total"; peaks are taken on 2xx/s, since
# turning a request away with 503 is fast and would otherwise count as throughput.
run_wrk() { # script connections seconds
  local out threads=$(( $2 < 2 || ${#on_client[@]} > 0 ? 1 : 2 ))
  out=$("${on_client[@]}" wrk -t"$threads" -c"$2" -d"$3"s --timeout 30s --latency -s "$work/$1.lua" "$base")
  local rps p50 p99 non2xx errors total
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors/ {print $0}' <<<"$out" | sed 's/ *Socket errors: //'); errors=${errors:-none}
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  local ok; ok=$(awk "BEGIN {printf \"%.1f\", $rps * ($total - $non2xx) / $total}")
  echo "$ok $rps $p50 $p99 $non2xx [$errors] $total"
}


# The 1, 5 and 15 minute load averages: printed beside runs, since a job on the same cores changes every number.
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
# One line saying how busy the machine is, and BUSY when something else shares the cores (docs/benchmarks/pinning.md).
busy_check() { # when, e.g. "before"
  echo "== load average $1: $(load_average)$(awk '$1 > 0.5 {print "  BUSY: another job shares the cores; not numbers to publish"}' /proc/loadavg)"
}
