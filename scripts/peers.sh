#!/usr/bin/env bash
# Builds the real reference peers thanosts is tested and benchmarked against, from their Go
# modules, into .cache/peers/ (git-ignored):
#   thanos      github.com/thanos-io/thanos           (test/peers/thanos)
#   prometheus  github.com/prometheus/prometheus 3.x  (test/peers/prometheus; with promtool)
#   weed        github.com/seaweedfs/seaweedfs        (test/peers/weed; its S3 gateway)
# Each is built from a small module of ours that requires the peer and repeats its replace/exclude
# directives (`go install pkg@version` refuses modules that have them); the committed go.sum pins
# every byte. Idempotent: a peer whose pinned binary is already there is not rebuilt.
# Prints one line per peer: `name version path`. Exits non-zero if a peer fails to build.
# `bash scripts/peers.sh thanos weed` builds and prints only those. Runs that overlap (tests in
# parallel, several checkouts sharing the cache) wait for each other on a lock.
# No Go code of these ships in thanosts: they are test and benchmark peers only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache="$root/.cache/peers"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

want=("$@")
for w in "${want[@]}"; do
  case $w in thanos | prometheus | weed) ;; *) echo "thanosts: peers: unknown peer $w (thanos, prometheus, weed)" >&2; exit 2 ;; esac
done
is_wanted() { [ ${#want[@]} -eq 0 ] || [[ " ${want[*]} " == *" $1 "* ]]; }

command -v go >/dev/null 2>&1 || { echo "thanosts: peers: the Go toolchain (go) is not on PATH" >&2; exit 1; }
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
export CGO_ENABLED=0

# The pinned version of a peer module, read from its go.mod (one source of truth).
pinned() { awk -v m="$2" '$1 == m || ($1 == "require" && $2 == m) { print ($1 == "require" ? $3 : $2); exit }' "test/peers/$1/go.mod"; }

# build NAME DISPLAY_VERSION OUT_DIR TAGS LDFLAGS PKG:BIN...
# TAGS are the build tags of the peer's own release build (its .promu.yml): Thanos needs
# `slicelabels`, without which its zero-copy label conversions misread labels and panic.
# The recipe (tags, flags, go.sum) is kept beside the binaries; a change rebuilds.
build() {
  local name=$1 version=$2 out=$3 tags=$4 ldflags=$5
  shift 5
  local recipe
  recipe="$(go env GOVERSION) tags=$tags ldflags=$ldflags $* $(sha256sum "test/peers/$name/go.sum" | cut -c1-16)"
  local missing=0 spec
  for spec in "$@"; do [ -x "$out/${spec##*:}" ] || missing=1; done
  [ "$(cat "$out/.recipe" 2>/dev/null)" = "$recipe" ] || missing=1
  if [ "$missing" = 1 ]; then
    echo "thanosts: building peer $name $version (first build on a machine takes minutes)" >&2
    local start=$SECONDS tmp="$out.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    for spec in "$@"; do
      local pkg=${spec%%:*} bin=${spec##*:}
      # -v names each package as it compiles: count them so a long build shows it is moving.
      (cd "test/peers/$name" && exec go build -v -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$tmp/$bin" "$pkg") 2>"$tmp/build.log" &
      local pid=$!
      while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        if kill -0 "$pid" 2>/dev/null; then
          echo "thanosts:   $name/$bin: $(grep -c . "$tmp/build.log") packages compiled, $((SECONDS - start)) s" >&2
        fi
      done
      if ! wait "$pid"; then
        tail -n 40 "$tmp/build.log" >&2
        echo "thanosts: peer $name $version failed to build (log above)" >&2
        return 1
      fi
    done
    rm -f "$tmp/build.log"
    echo "$recipe" >"$tmp/.recipe"
    rm -rf "$out" && mv "$tmp" "$out"
    echo "thanosts: built peer $name in $((SECONDS - start)) s, $(du -sh "$out" | cut -f1)" >&2
  fi
  echo "$name $version $out/${1##*:}"
}

prom_common=github.com/prometheus/common/version
stamp() { echo "-X $prom_common.Version=$1 -X $prom_common.Revision=$2 -X $prom_common.Branch=HEAD -X $prom_common.BuildUser=thanosts-peers -X $prom_common.BuildDate=00000000-00:00:00"; }

thanos_v=$(pinned thanos github.com/thanos-io/thanos)
is_wanted thanos && build thanos "$thanos_v" "$cache/thanos-$thanos_v" netgo,slicelabels "$(stamp "${thanos_v#v}" "$thanos_v")" \
  github.com/thanos-io/thanos/cmd/thanos:thanos

# Prometheus 3.X.Y is published as module version v0.3XX.Y. Its release build also embeds the web
# UI (tag builtinassets), whose assets the module does not carry: the API is what the tests use.
prom_mod=$(pinned prometheus github.com/prometheus/prometheus)
prom_v=$(echo "$prom_mod" | sed -E 's/^v0\.3([0-9]{2})\.([0-9]+)$/3.\1.\2/; s/^3\.0([0-9])/3.\1/')
is_wanted prometheus && build prometheus "$prom_v" "$cache/prometheus-$prom_v" netgo "$(stamp "$prom_v" "$prom_mod")" \
  github.com/prometheus/prometheus/cmd/prometheus:prometheus github.com/prometheus/prometheus/cmd/promtool:promtool

weed_v=$(pinned weed github.com/seaweedfs/seaweedfs)
is_wanted weed && build weed "$weed_v" "$cache/weed-$weed_v" "" "" github.com/seaweedfs/seaweedfs/weed:weed
exit 0
