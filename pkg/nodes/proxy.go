package nodes

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// LogProxy reads host logs of a node through the kubelet's log endpoint
// behind the apiserver: nodes/NAME/proxy/logs/PATH.
type LogProxy struct {
	CS kubernetes.Interface
}

func (p LogProxy) path(node, rel string) string {
	return "/api/v1/nodes/" + url.PathEscape(node) + "/proxy/logs/" + rel
}

// maxListing bounds what is read of a directory listing.
const maxListing = 4 << 20

var hrefRE = regexp.MustCompile(`<a href="([^"]+)">`)

// List lists the entries of a directory below the node's /var/log
// (directories end in "/"). The listing carries no modification times.
func (p LogProxy) List(ctx context.Context, node, dir string) ([]string, error) {
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	// Streamed, not DoRaw: DoRaw keeps no message of a refusal in JSON (a
	// 403 became "unknown"); Stream decodes the server's Status.
	rc, err := p.CS.CoreV1().RESTClient().Get().AbsPath(p.path(node, dir)).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing /var/log/%s on %s: %w", dir, node, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxListing))
	if err != nil {
		return nil, fmt.Errorf("listing /var/log/%s on %s: %w", dir, node, err)
	}
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(string(b), -1) {
		name, err := url.PathUnescape(m[1])
		if err != nil {
			name = m[1]
		}
		out = append(out, name)
	}
	return out, nil
}

// Open streams a file below the node's /var/log.
func (p LogProxy) Open(ctx context.Context, node, rel string) (io.ReadCloser, error) {
	rc, err := p.CS.CoreV1().RESTClient().Get().AbsPath(p.path(node, rel)).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading /var/log/%s on %s: %w", rel, node, err)
	}
	return rc, nil
}

// Query streams the log of a service (the node log query: the journal of
// the unit, or its file under /var/log when the journal has none), from
// since when not zero. The kubelet applies since to a journal only: for a
// file it answers, in a 200, that options are refused (OptionsRefused);
// ask again without.
func (p LogProxy) Query(ctx context.Context, node, unit string, since time.Time) (io.ReadCloser, error) {
	req := p.CS.CoreV1().RESTClient().Get().AbsPath(p.path(node, "")).Param("query", unit)
	if !since.IsZero() {
		req = req.Param("sinceTime", since.UTC().Format(time.RFC3339))
	}
	rc, err := req.Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("querying the %s log of %s: %w", unit, node, err)
	}
	return rc, nil
}

// OptionsRefused starts the kubelet's answer to a query with options that
// resolved to a log file.
const OptionsRefused = "\noptions present and query resolved to log files"
