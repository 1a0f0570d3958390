package mustgather

import (
	"flag"
	"io"
	"strconv"

	"k8s.io/klog/v2"
)

// maxVerbosity is the highest klog level the client uses: client-go logs
// request and response bodies from level 8 on, and a body may hold Secret
// values (the fall-back's inspect reads Secrets).
const maxVerbosity = 7

// setVerbosity sends klog's lines (client-go's own logging) to w at
// level -v, as kubectl's -v does, at most maxVerbosity. klog's state is
// the process's: the client's Run sets it once.
func (o *Options) setVerbosity(w io.Writer) (used int, err error) {
	used = min(o.Verbosity, maxVerbosity)
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	for name, value := range map[string]string{
		"v":               strconv.Itoa(used),
		"logtostderr":     "false",
		"alsologtostderr": "false",
		// Everything goes to w, once (not also to stderr from ERROR on).
		"stderrthreshold": "FATAL",
		"one_output":      "true",
		"skip_headers":    "false",
	} {
		if err := fs.Set(name, value); err != nil {
			return used, err
		}
	}
	klog.SetOutput(w)
	return used, nil
}
