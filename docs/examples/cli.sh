#!/bin/sh
# The uvmas command line as docs/cli.md shows it: a service, calls to it and
# their exit statuses. tests/docs runs it with build/bin on PATH and checks
# what it prints (stderr is folded into stdout so the errors show).
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
exec 2>&1

# serve prints "READY <address>" once it listens; a FIFO waits for that line.
# A Unix socket keeps the script free of port numbers.
mkfifo "$dir/out"
# [snippet:serve]
addr="ipc://[$dir/service.sock]"
uvmas serve "$addr" > "$dir/out" &
# [end:serve]
exec 3< "$dir/out"
read -r _ready _url <&3

# [snippet:calls]
uvmas call "$addr" add 3 4
uvmas call "$addr" add foo bar
uvmas call "$addr" sub/mul 6 7
uvmas call "$addr" echo '{"a": [1, 2.5, null]}'
uvmas call "$addr" add 1 --kw b=2
uvmas call "$addr" get_sub
# [end:calls]

# [snippet:errors]
uvmas call "$addr" raise_value_error boom || echo "exit status $?"
uvmas call "$addr" add 1 x || echo "exit status $?"
uvmas call "ipc://[$dir/nobody.sock]" add 1 2 || echo "exit status $?"
# [end:errors]

# [snippet:options]
uvmas call "$addr" add --kw b=2 1
uvmas call "$addr" echo --raw '[1, 2'
uvmas call "$addr" echo '[1, 2' || echo "exit status $?"
uvmas call "$addr" sleep 30 --timeout 0.5 || echo "exit status $?"
# [end:options]

# [snippet:debug]
uvmas call "$addr" add 3 4 --log-level debug
# [end:debug]

uvmas call "$addr" shutdown
wait
