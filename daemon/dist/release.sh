#!/bin/sh
# release.sh builds the static ocellus release binaries (CGO_ENABLED=0,
# -trimpath, stripped with -ldflags "-s -w") for the boards ocellus
# targets, prints their sizes, writes SHA256SUMS next to them and fails if
# the stripped linux/arm64 binary exceeds 20 MB (20,000,000 bytes).
#
#   daemon/dist/release.sh [OUTDIR]     (default: daemon/dist/out, git-ignored)
#
# REV selects what is built: a commit (default HEAD), built from a clean
# local clone so that uncommitted work in the checkout stays out of a
# release, or REV=worktree for the checkout as it is.
#
# VERSION sets the version string (default: git describe --tags --always
# of REV, with --dirty for the worktree), passed as -X
# main.buildVersion=VERSION: `ocellus version` prints it (a plain go build
# prints the module version and VCS revision from debug.ReadBuildInfo).
#
# Targets: linux/amd64, linux/arm64 (Raspberry Pi 3/4/5 with a 64-bit OS),
# linux/arm GOARM=7 (32-bit OS on Pi 2/3/4) and GOARM=6 (Pi Zero, Zero W, 1).
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
out=${1:-$root/daemon/dist/out}
mkdir -p "$out"
out=$(CDPATH='' cd -- "$out" && pwd)
limit=20000000
rev=${REV:-HEAD}

src=$root
vcs=auto
if [ "$rev" = worktree ]; then
	version=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}
else
	commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
	version=${VERSION:-$(git -C "$root" describe --tags --always "$commit")}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT INT TERM
	git clone --quiet --shared --no-checkout "$root" "$tmp/src"
	git -C "$tmp/src" checkout --quiet --detach "$commit"
	src=$tmp/src
	vcs=true # stamp the commit (overrides a -buildvcs=false in GOFLAGS)
fi

ldflags="-s -w -X main.buildVersion=$version"

cd "$src"
status=0
for target in linux/amd64 linux/arm64 linux/arm/7 linux/arm/6; do
	goos=${target%%/*}
	rest=${target#*/}
	goarch=${rest%%/*}
	goarm=
	name=ocellus-$goos-$goarch
	if [ "$goarch" = arm ]; then
		goarm=${rest#*/}
		name=${name}v$goarm
	fi
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOARM=$goarm \
		go build -trimpath -buildvcs=$vcs -ldflags "$ldflags" -o "$out/$name" ./cmd/ocellus
	size=$(wc -c <"$out/$name" | tr -d ' ')
	printf '%-22s %10d bytes  %6.2f MB\n' "$name" "$size" "$(awk "BEGIN { print $size / 1000000 }")"
	if [ "$goarch" = arm64 ] && [ "$size" -gt "$limit" ]; then
		echo "release: $name is $size bytes, over the $limit-byte budget" >&2
		status=1
	fi
done
cp "$root/daemon/dist/ocellus.service" "$out/"
(cd "$out" && sha256sum ocellus-linux-* ocellus.service >SHA256SUMS)
echo "release: $version ($rev) in $out"
exit $status
