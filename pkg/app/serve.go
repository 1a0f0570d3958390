package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"

	"github.com/must-gather/toolkit/pkg/bundle"
	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/serve"
)

// serveContext names the cluster, user and context of the kubeconfig serve
// writes.
const serveContext = "must-gather"

// serveOptions are the options of `gather serve`.
type serveOptions struct {
	streams       cli.IOStreams
	bundle        string
	address       string
	port          int
	kubeconfigOut string

	removeKubeconfig bool // the default file, removed at the end
}

func newServeCommand(streams cli.IOStreams) *cobra.Command {
	o := &serveOptions{streams: streams}
	cmd := &cobra.Command{
		Use:   "serve DIR|ARCHIVE",
		Short: "Serve a gathered bundle as a read-only Kubernetes API, for kubectl get, describe and logs",
		Long: `serve reads a bundle (ours, or any in the layout of oc adm must-gather or
oc adm inspect; a folder, a .tar.gz archive or the first part of a split
one) and answers the read-only part of the Kubernetes API from it on
--address (loopback by default), over HTTPS with a certificate made at
start and a random token: kubectl get (tables, -o yaml, selectors),
describe, logs (--previous too) and api-resources work on it. Every write
and watch is answered 405 MethodNotAllowed.

It writes a kubeconfig for it to --kubeconfig-out (by default a new file in
the temporary folder, removed when serve stops), prints its path and runs
until interrupted. A folder with several image folders (the client's
result) is served as one view: a later folder's object replaces an earlier
one's, and the log says so.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("serve takes one folder or archive, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.bundle = args[0]
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.address, "address", "127.0.0.1", "the IP address to listen on")
	cmd.Flags().IntVar(&o.port, "port", 0, "the port to listen on (0: any free one)")
	cmd.Flags().StringVar(&o.kubeconfigOut, "kubeconfig-out", "", "where to write the kubeconfig (default: a new file in the temporary folder, removed at the end); never inside the bundle")
	return cmd
}

// Complete makes paths absolute.
func (o *serveOptions) Complete() error {
	var err error
	if o.bundle, err = filepath.Abs(o.bundle); err != nil {
		return err
	}
	if o.kubeconfigOut != "" {
		if o.kubeconfigOut, err = filepath.Abs(o.kubeconfigOut); err != nil {
			return err
		}
	}
	return nil
}

// Validate reports every usage error at once.
func (o *serveOptions) Validate() error {
	var errs []error
	fi, err := os.Stat(o.bundle)
	if err != nil {
		errs = append(errs, cli.Usagef("%s is not a readable folder or archive", o.bundle))
	}
	if net.ParseIP(o.address) == nil {
		errs = append(errs, cli.Usagef("--address %q: want an IP address", o.address))
	}
	if o.port < 0 || o.port > 65535 {
		errs = append(errs, cli.Usagef("--port %d: want 0 to 65535", o.port))
	}
	if o.kubeconfigOut != "" && err == nil && fi.IsDir() && within(o.kubeconfigOut, o.bundle) {
		errs = append(errs, cli.Usagef("--kubeconfig-out %s is inside the bundle: a bundle is handed on, its token must not be", o.kubeconfigOut))
	}
	if len(errs) > 0 {
		return cli.UsageError{Err: errors.Join(errs...)}
	}
	return nil
}

// Run serves until ctx is cancelled.
func (o *serveOptions) Run(ctx context.Context) error {
	start := time.Now()
	b, err := bundle.Open(ctx, o.bundle, "")
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	for _, skipped := range b.Skipped {
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", skipped)
	}
	ix, err := serve.NewIndex(ctx, b, serve.Options{Log: o.streams.ErrOut})
	if err != nil {
		return err
	}
	for _, e := range ix.Errors {
		fmt.Fprintf(o.streams.ErrOut, "warning: %v\n", e)
	}
	fmt.Fprintf(o.streams.ErrOut, "serve: read %d objects and %d container logs from %d files in %s\n",
		ix.Objects, ix.Logs(), ix.Files, time.Since(start).Round(time.Millisecond))

	ln, err := net.Listen("tcp", net.JoinHostPort(o.address, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.address, err)
	}
	defer ln.Close()
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey(o.address, []net.IP{net.ParseIP(o.address)}, nil)
	if err != nil {
		return fmt.Errorf("making the serving certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("making the serving certificate: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("making the token: %w", err)
	}
	token := hex.EncodeToString(raw)
	url := "https://" + ln.Addr().String()
	kubeconfig, err := o.writeKubeconfig(url, certPEM, token)
	if err != nil {
		return err
	}
	if o.removeKubeconfig {
		defer os.Remove(kubeconfig)
	}

	srv := &http.Server{
		Handler:           serve.Handler(ix, token),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	fmt.Fprintf(o.streams.ErrOut, "serve: serving %s at %s until interrupted\n", o.bundle, url)
	fmt.Fprintf(o.streams.Out, "%s\nkubectl --kubeconfig %s get pods -A\n", kubeconfig, kubeconfig)
	select {
	case err := <-done:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stopping: %w", err)
	}
	return nil
}

// writeKubeconfig writes the kubeconfig of the server (0600: it holds the
// token) and returns its path.
func (o *serveOptions) writeKubeconfig(url string, ca []byte, token string) (string, error) {
	path := o.kubeconfigOut
	if path == "" {
		f, err := os.CreateTemp("", "must-gather-serve-*.kubeconfig")
		if err != nil {
			return "", fmt.Errorf("writing the kubeconfig: %w", err)
		}
		path = f.Name()
		o.removeKubeconfig = true
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("writing the kubeconfig: %w", err)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[serveContext] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: ca}
	cfg.AuthInfos[serveContext] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[serveContext] = &clientcmdapi.Context{Cluster: serveContext, AuthInfo: serveContext}
	cfg.CurrentContext = serveContext
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	// WriteToFile keeps the mode of a file that exists.
	if err := os.Chmod(path, 0o600); err != nil {
		return "", fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return path, nil
}
