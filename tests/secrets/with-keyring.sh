#!/bin/sh
# Runs a command on a private D-Bus session bus whose Secret Service is a fresh, unlocked GNOME Keyring, so
# the keychain tests use a real Secret Service and never touch the developer's own keyring or session bus.
#
#   with-keyring.sh [--no-secret-service] <command> [arguments...]
#
# --no-secret-service: the private bus has no Secret Service at all (none running, none activatable).
#
# The bus activates nothing (no service directories), so neither a second keyring nor a GUI prompter can
# start behind the test's back. The daemon gets its own HOME, XDG_DATA_HOME and XDG_RUNTIME_DIR in a
# temporary directory (removed afterwards); the command keeps the caller's environment plus:
#   DBUS_SESSION_BUS_ADDRESS       the private bus
#   CANARY_TEST_SECRET_SERVICE     "gnome-keyring" or "none"
#   CANARY_TEST_KEYRING_PASSWORD   the login keyring's password (to unlock it again after locking it)
# Exits with the command's status, or 1 with a message when something needed is missing or fails to start.
set -eu

me=with-keyring.sh
mode=gnome-keyring
if [ "${1:-}" = --no-secret-service ]; then
    mode=none
    shift
fi
if [ $# -eq 0 ]; then
    echo "usage: $me [--no-secret-service] <command> [arguments...]" >&2
    exit 2
fi

need() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "$me: $1 not found: install the Debian package $2 (tools/install-deps.sh installs it)" >&2
        exit 1
    fi
}
need dbus-run-session dbus-daemon
need dbus-send dbus-bin
need timeout coreutils
if [ "$mode" = gnome-keyring ]; then
    need gnome-keyring-daemon gnome-keyring
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/canary-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/run" "$tmp/data" "$tmp/home"

cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

export CANARY_TEST_SECRET_SERVICE="$mode"
export CANARY_TEST_KEYRING_PASSWORD=canary-test-keyring

# Inside the bus: start the daemon (unless --no-secret-service), wait until the Secret Service answers
# with an unlocked default collection, run the command, stop the daemon.
inner='
me=$1 mode=$2 tmp=$3
shift 3

bus_call() {
    timeout 5 dbus-send --session --print-reply "$@" 2>/dev/null
}

daemon=
if [ "$mode" = gnome-keyring ]; then
    printf %s "$CANARY_TEST_KEYRING_PASSWORD" \
        | HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" \
            gnome-keyring-daemon --foreground --unlock --components=secrets >"$tmp/daemon.log" 2>&1 &
    daemon=$!
    tries=0
    until bus_call --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.ReadAlias string:default | grep -q "/collection/"; do
        if ! kill -0 "$daemon" 2>/dev/null; then
            echo "$me: gnome-keyring-daemon exited before offering the Secret Service:" >&2
            cat "$tmp/daemon.log" >&2
            exit 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "$me: no Secret Service with a default collection after 10 s:" >&2
            cat "$tmp/daemon.log" >&2
            kill "$daemon" 2>/dev/null
            exit 1
        fi
        sleep 0.1
    done
elif bus_call --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.secrets | grep -q "boolean true"; then
    echo "$me: a Secret Service is on the private bus although none was asked for" >&2
    exit 1
fi

status=0
"$@" || status=$?

if [ -n "$daemon" ]; then
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
fi
exit "$status"
'

status=0
dbus-run-session --config-file="$tmp/bus.conf" -- sh -c "$inner" sh "$me" "$mode" "$tmp" "$@" || status=$?
exit "$status"
