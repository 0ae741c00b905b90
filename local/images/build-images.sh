#!/usr/bin/env bash
# Builds the images Zeroplane's nodes and tests use, without any registry (local-stack.md §4):
#   zp/busybox:1  Debian's static busybox with relative applet links (httpd, nc, wget, sh …); CMD /bin/sh
#   zp/pause:1    the same rootfs whose only job is to hold a pod's network namespace (PID 1 sleeps forever)
# Idempotent: an image that is already present is left alone unless --force is given.
set -euo pipefail
force=${1:-}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "busybox-static is required: apt-get install -y busybox-static" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "dockerd does not answer on /var/run/docker.sock" >&2; exit 1; }

have() { docker image inspect "$1" >/dev/null 2>&1; }
if [ "$force" != "--force" ] && have zp/busybox:1 && have zp/pause:1; then exit 0; fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,www,proc,sys,dev,var/run}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
# Relative links: `busybox --install -s` writes absolute ones that point at the host's path.
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - zp/busybox:1 >/dev/null
# The pause image: busybox `sleep` as PID 1 ignores SIGTERM, so the agent stops sandboxes with a zero grace period.
tar -C "$root" -c . | docker import --change 'CMD ["/bin/sleep","2147483647"]' --change 'ENV PATH=/bin' - zp/pause:1 >/dev/null
echo "built zp/busybox:1 and zp/pause:1"
