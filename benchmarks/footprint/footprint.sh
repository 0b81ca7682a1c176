#!/usr/bin/env bash
# footprint.sh: what a program pays in modules and binary size for iotauth
# (one provider, a Cache and a Transport) next to golang.org/x/oauth2 (a
# client-credentials token source and oauth2.NewClient). Each program is
# built as a user would: its own module outside this repository, with
# iotauth replaced by this checkout, GOWORK off.
#
#   benchmarks/footprint/footprint.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/benchmarks/footprint"
oauth2v="$(cd "$root" && GOWORK=off go list -m -f '{{.Version}}' golang.org/x/oauth2)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

build() { # name, source file, go.mod lines
	local dir="$tmp/$1"
	mkdir -p "$dir"
	cp "$here/$2" "$dir/main.go"
	printf 'module example.com/%s\n\ngo 1.25.0\n%s\n' "$1" "$3" >"$dir/go.mod"
	(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 &&
		GOWORK=off go build -trimpath -ldflags='-s -w' -o "$dir/bin" . &&
		printf '| %s | %d | %d | %s |\n' "$1" "$(GOWORK=off go list -m all | wc -l)" \
			"$(go version -m "$dir/bin" | grep -cE '^\s+(mod|dep)\s')" \
			"$(numfmt --to=iec-i --suffix=B --format='%.1f' "$(stat -c %s "$dir/bin")")")
}

echo '| program | modules in `go list -m all` (with the main module) | modules linked into the binary (with the main module) | binary (-s -w) |'
echo '|---|---|---|---|'
build iotauth iotauth.go.txt "require github.com/iotauth/iotauth v0.0.0
replace github.com/iotauth/iotauth => $root"
build oauth2 oauth2.go.txt "require golang.org/x/oauth2 $oauth2v"
build nethttp nethttp.go.txt ""
if [ "${1:-}" = "-v" ]; then (cd "$tmp/iotauth" && GOWORK=off go list -m all); fi
