package mustgather

import (
	"path"
	"strconv"
)

// guardScript runs a gather command of an image that is not ours under the
// volume guard, as the bash of the gather container: bash -c guardScript
// guard DIR PERCENT COMMAND [ARGS...]. The command runs in a process group
// of its own; every guardInterval (the first time one interval after the
// start, so the command always gets to begin) the script reads DIR's usage
// (df -P) and, above PERCENT, kills that group and says so. SIGTERM or SIGINT to the
// script (the client stopping the gather before it copies the result)
// goes to the whole group; the script waits for it to end, syncs, and
// exits with the command's status. It waits once before it looks whether
// the command still runs: a command that ended already has its status
// kept by bash for wait, and kill -0 would find it gone (and say 0).
const guardScript = `dir=$1 limit=$2 every=$3
shift 3
set -m
trap 'kill -TERM -- "-$gather" 2>/dev/null' TERM INT
"$@" &
gather=$!
(
  while :; do
    sleep "$every"
    used=$(df -P "$dir" | awk 'NR == 2 { sub(/%/, "", $5); print $5 }')
    if [ -n "$used" ] && [ "$used" -gt "$limit" ]; then
      echo "[volume guard] $dir is $used% used, above --volume-percentage $limit: stopping the gather" >&2
      kill -KILL -- "-$gather"
      exit 0
    fi
  done
) &
guard=$!
wait "$gather"
code=$?
while kill -0 "$gather" 2>/dev/null; do
  wait "$gather"
  code=$?
done
kill -- "-$guard" 2>/dev/null
sync
exit "$code"`

// guardInterval is how often, in seconds, the guard reads the usage.
const guardInterval = 5

// guarded wraps command in the volume guard.
func (o *Options) guarded(command []string) []string {
	return append([]string{"/bin/bash", "-c", guardScript, "volume-guard",
		path.Clean(o.SourceDir), strconv.Itoa(o.VolumePercentage), strconv.Itoa(guardInterval)}, command...)
}
