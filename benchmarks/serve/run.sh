#!/usr/bin/env bash
# The serve benchmark: the 'iotauth serve' proxy (a cached token) beside
# httputil.ReverseProxy with a fixed header and nginx proxy_pass with a fixed
# header, all in front of the same loopback upstream (the OceanConnect
# emulator's device list), driven by wrk in one run. Prints a Markdown table.
#
#   benchmarks/serve/run.sh [DURATION] [CONNECTIONS]     (default 10s 64)
#
# Needs wrk and nginx (Debian: apt-get install wrk nginx), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-10s}
conns=${2:-64}
for c in wrk nginx curl python3; do
  command -v "$c" >/dev/null || { echo "run.sh: $c is not installed" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd cmd/iotauth && go build -o "$work/iotauth" .)
(cd benchmarks && go build -o "$work/reverseproxy" ./serve/reverseproxy)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "run.sh: nothing answers $1" >&2; exit 1; }

"$work/iotauth" emulate --addr 127.0.0.1:0 > "$work/emu.env" & pids+=($!)
until grep -q '^# ready' "$work/emu.env" 2>/dev/null; do sleep 0.1; done
# shellcheck disable=SC1091
. "$work/emu.env"
up=$IOTAUTH_OCEANCONNECT_BASE_URL
path=/iocm/app/dm/v1.4.0/devices

serve_port=$(free_port); rp_port=$(free_port); nginx_port=$(free_port)
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/api.token"
cat > "$work/serve.yaml" <<YAML
listen: 127.0.0.1:$serve_port
api_token_file: $work/api.token
credentials:
  oc:
    platform: oceanconnect
    base_url: $up
    app_id: $IOTAUTH_OCEANCONNECT_APP_ID
    secret: $IOTAUTH_OCEANCONNECT_SECRET
YAML
chmod 600 "$work/serve.yaml"
"$work/iotauth" serve --config "$work/serve.yaml" 2> "$work/serve.log" & pids+=($!)
wait_http "http://127.0.0.1:$serve_port/healthz"

# The agent's token (only the last token issued is valid) is the fixed header
# of the other two.
tok=$(curl -sf -H "Authorization: Bearer $(cat "$work/api.token")" "http://127.0.0.1:$serve_port/v1/credentials/oc/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

"$work/reverseproxy" -listen "127.0.0.1:$rp_port" -upstream "$up" \
  -header "Authorization: Bearer $tok" -header "app_key: $IOTAUTH_OCEANCONNECT_APP_ID" 2> "$work/rp.log" & pids+=($!)
wait_http "http://127.0.0.1:$rp_port/healthz"

mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream platform { server ${up#http://}; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://platform;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $tok";
      proxy_set_header app_key "$IOTAUTH_OCEANCONNECT_APP_ID";
    }
  }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)
wait_http "http://127.0.0.1:$nginx_port/"

for u in "http://127.0.0.1:$serve_port/oc$path" "http://127.0.0.1:$rp_port$path" "http://127.0.0.1:$nginx_port$path"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$u")
  [ "$code" = 200 ] || { echo "run.sh: $u answers $code" >&2; exit 1; }
done

# bench NAME URL: one wrk run; prints "NAME req/s p50 p99".
bench() {
  local out
  out=$(wrk -t2 -c"$conns" -d"$dur" --latency "$2")
  if grep -q 'Non-2xx' <<<"$out"; then echo "run.sh: $1: non-2xx answers:" >&2; echo "$out" >&2; exit 1; fi
  echo "$1 $(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}
rows=()
rows+=("$(bench "iotauth serve" "http://127.0.0.1:$serve_port/oc$path")")
rows+=("$(bench "httputil.ReverseProxy, fixed header" "http://127.0.0.1:$rp_port$path")")
rows+=("$(bench "nginx proxy_pass, fixed header" "http://127.0.0.1:$nginx_port$path")")

echo "wrk -t2 -c$conns -d$dur --latency, commit $(git rev-parse --short HEAD), $(nproc) cores, $(go version | awk '{print $3}'), $(nginx -v 2>&1 | sed 's/.*: //')"
echo
echo "| proxy | requests/s | p50 | p99 |"
echo "| --- | ---: | ---: | ---: |"
for r in "${rows[@]}"; do
  name=${r% * * *}
  echo "| $name | $(echo "$r" | awk '{print $(NF-2)}') | $(echo "$r" | awk '{print $(NF-1)}') | $(echo "$r" | awk '{print $NF}') |"
done
python3 - "${rows[@]}" <<'PY'
import sys
def ms(s):
    for u, f in (("us", 1e-3), ("ms", 1), ("s", 1e3)):
        if s.endswith(u): return float(s[:-len(u)]) * f
rows = [r.rsplit(" ", 3) for r in sys.argv[1:]]
serve, rp = rows[0], rows[1]
print()
print("serve / ReverseProxy: throughput %.2fx (goal >= 0.9x), p99 %.2fx (goal <= 1.2x)" %
      (float(serve[1]) / float(rp[1]), ms(serve[3]) / ms(rp[3])))
PY
