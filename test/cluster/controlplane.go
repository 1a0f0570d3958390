package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.etcd.io/etcd/server/v3/embed"
	logsapi "k8s.io/component-base/logs/api/v1"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	scheduleroptions "k8s.io/kubernetes/cmd/kube-scheduler/app/options"
)

// auditPolicy is as careless as a real one may be: it logs Secrets,
// ConfigMaps, service account tokens, token reviews and pods with their
// request and response bodies (every verb), and writes to other common
// objects likewise, so the collectors' redaction of audit events is tested
// on what such a policy writes. Everything else at Metadata.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: RequestResponse
  resources:
  - group: ""
    resources: ["secrets", "configmaps", "serviceaccounts/token", "pods"]
  - group: authentication.k8s.io
    resources: ["tokenreviews"]
- level: RequestResponse
  verbs: ["create", "update", "patch", "delete"]
  resources:
  - group: ""
    resources: ["namespaces", "services", "nodes"]
  - group: apps
  - group: rbac.authorization.k8s.io
- level: Metadata
`

// runControlPlane runs etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler in this process until SIGTERM or SIGINT.
func runControlPlane(cfg *Config) error {
	// The apiserver command installs the process's one signal handler when
	// it is built; build it first. The other components get a context of
	// our own, cancelled by the same signals.
	apiCmd := apiserver.NewAPIServerCommand()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	etcd, err := startEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	defer func() {
		// etcd's Close waits for clients that keep redialling; the data is
		// thrown away, so bound the wait.
		done := make(chan struct{})
		go func() { etcd.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
		}
	}()

	pki := cfg.PKIDir()
	f := func(name string) string { return filepath.Join(pki, name) }
	policy := filepath.Join(cfg.Dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return err
	}
	apiArgs := []string{
		"--etcd-servers=" + etcdClientURL(cfg),
		"--bind-address=" + cfg.HostIP,
		"--advertise-address=" + cfg.HostIP,
		"--secure-port=" + strconv.Itoa(cfg.APIServerPort),
		"--tls-cert-file=" + f("apiserver.crt"),
		"--tls-private-key-file=" + f("apiserver.key"),
		"--client-ca-file=" + f("ca.crt"),
		"--kubelet-client-certificate=" + f("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + f("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority=" + f("ca.crt"),
		// The node's IP, never its name: no DNS lookup leaves the machine.
		"--kubelet-preferred-address-types=InternalIP",
		"--service-account-key-file=" + f("sa.pub"),
		"--service-account-signing-key-file=" + f("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + cfg.ServiceCIDR,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--enable-admission-plugins=NodeRestriction",
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + cfg.AuditLogPath(),
		"--audit-log-maxsize=100",
		"--audit-log-maxbackup=3",
		"--cert-dir=" + filepath.Join(cfg.Dir, "apiserver"),
		"--profiling=false",
		// Aggregated APIs are reached at their endpoints (pod IPs are routed
		// from the host), not at their Service's IP (no kube-proxy here).
		"--enable-aggregator-routing=true",
	}
	if n := cfg.MaxRequestsInflight; n > 0 {
		apiArgs = append(apiArgs, "--max-requests-inflight="+strconv.Itoa(n),
			"--max-mutating-requests-inflight="+strconv.Itoa(max(1, n/2)))
	}
	apiCmd.SetArgs(apiArgs)
	apiDone := make(chan error, 1)
	go func() { apiDone <- apiCmd.Execute() }()

	// Several components share klog in one process: let the later ones
	// apply the same logging configuration again.
	logsapi.ReapplyHandling = logsapi.ReapplyHandlingIgnoreUnchanged

	if err := waitReady(ctx, cfg, 60*time.Second); err != nil {
		return fmt.Errorf("waiting for the apiserver: %w", errors.Join(err, nonBlocking(apiDone)))
	}

	cmCmd := controllermanager.NewControllerManagerCommand()
	cmCmd.SetArgs([]string{
		"--kubeconfig=" + filepath.Join(cfg.Dir, "controller-manager.kubeconfig"),
		"--authentication-kubeconfig=" + filepath.Join(cfg.Dir, "controller-manager.kubeconfig"),
		"--authorization-kubeconfig=" + filepath.Join(cfg.Dir, "controller-manager.kubeconfig"),
		"--service-account-private-key-file=" + f("sa.key"),
		"--root-ca-file=" + f("ca.crt"),
		"--cluster-signing-cert-file=" + f("ca.crt"),
		"--cluster-signing-key-file=" + f("ca.key"),
		"--use-service-account-credentials=true",
		"--service-cluster-ip-range=" + cfg.ServiceCIDR,
		"--leader-elect=false",
		// A node whose kubelet stopped (testcluster stop-kubelet) turns
		// NotReady in about 20 s, not the default 50 s.
		"--node-monitor-grace-period=20s",
		"--node-monitor-period=1s",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--profiling=false",
	})
	cmDone := make(chan error, 1)
	go func() { cmDone <- cmCmd.ExecuteContext(ctx) }()

	schedDone := make(chan error, 1)
	go func() { schedDone <- runScheduler(ctx, cfg) }()

	select {
	case err = <-apiDone:
		err = fmt.Errorf("kube-apiserver exited: %w", err)
	case err = <-cmDone:
		err = fmt.Errorf("kube-controller-manager exited: %w", err)
	case err = <-schedDone:
		err = fmt.Errorf("kube-scheduler exited: %w", err)
	case <-ctx.Done():
		// The apiserver saw the same signal. Its graceful drain can take
		// over 20 s; the cluster's data is thrown away anyway, so give it
		// a moment and go.
		select {
		case <-apiDone:
		case <-time.After(5 * time.Second):
		}
		return nil
	}
	return err
}

func nonBlocking(ch <-chan error) error {
	select {
	case err := <-ch:
		return err
	default:
		return nil
	}
}

func runScheduler(ctx context.Context, cfg *Config) error {
	opts := scheduleroptions.NewOptions()
	fs := pflag.NewFlagSet("kube-scheduler", pflag.ContinueOnError)
	for _, f := range opts.Flags.FlagSets {
		fs.AddFlagSet(f)
	}
	kc := filepath.Join(cfg.Dir, "scheduler.kubeconfig")
	if err := fs.Parse([]string{
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
	}); err != nil {
		return err
	}
	if err := opts.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	// Setup + Run, not NewSchedulerCommand: the command would install a
	// second signal handler, which panics.
	cc, sched, err := scheduler.Setup(ctx, opts)
	if err != nil {
		return err
	}
	return scheduler.Run(ctx, cc, sched)
}

func etcdClientURL(cfg *Config) string {
	return "http://127.0.0.1:" + strconv.Itoa(cfg.EtcdPort)
}

func startEtcd(cfg *Config) (*embed.Etcd, error) {
	ec := embed.NewConfig()
	ec.Name = "mgtk"
	ec.Dir = filepath.Join(cfg.Dir, "etcd")
	ec.LogLevel = "error"
	client, _ := url.Parse(etcdClientURL(cfg))
	peer, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(cfg.EtcdPeerPort))
	ec.ListenClientUrls = []url.URL{*client}
	ec.AdvertiseClientUrls = []url.URL{*client}
	ec.ListenPeerUrls = []url.URL{*peer}
	ec.AdvertisePeerUrls = []url.URL{*peer}
	ec.InitialCluster = ec.Name + "=" + peer.String()
	ec.ListenMetricsUrls = nil
	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, err
	}
	select {
	case <-e.Server.ReadyNotify():
		return e, nil
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("etcd not ready after 60s")
	}
}

// RotatedAuditLogs are the backups, as the apiserver names them (the time
// they were closed, in UTC), that the harness puts next to the live
// audit.log: one closed ten days before the start, plain, and one an hour
// before, gzipped; each file's modification time is its close time. Their
// events carry the auditID prefix of their age.
var RotatedAuditLogs = []struct {
	Age    time.Duration
	Gzip   bool
	Prefix string
}{
	{10 * 24 * time.Hour, false, "mgtk-rotated-old"},
	{time.Hour, true, "mgtk-rotated-recent"},
}

func (c *Config) writeRotatedAuditLogs(now time.Time) error {
	for _, r := range RotatedAuditLogs {
		closed := now.Add(-r.Age).UTC()
		var body bytes.Buffer
		for i := range 2 {
			fmt.Fprintf(&body, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s-%d","stage":"ResponseComplete","requestURI":"/api","verb":"get","requestReceivedTimestamp":"%s"}`+"\n",
				r.Prefix, i, closed.Add(-time.Minute).Format(time.RFC3339Nano))
		}
		name := "audit-" + closed.Format("2006-01-02T15-04-05.000") + ".log"
		data := body.Bytes()
		if r.Gzip {
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			if _, err := zw.Write(data); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			name, data = name+".gz", zb.Bytes()
		}
		path := filepath.Join(c.AuditLogDir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
		if err := os.Chtimes(path, closed, closed); err != nil {
			return err
		}
	}
	return nil
}
