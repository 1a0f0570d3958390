package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"
)

// Config is everything that names a resource of the host the cluster uses:
// addresses, ports, interface and namespace names, paths. Each has a default
// and a TESTCLUSTER_* environment variable, and is checked to be free at
// start.
type Config struct {
	// Dir holds the cluster's state: PKI, kubeconfigs, etcd data, logs, the
	// node's containerd and kubelet state.
	Dir string
	// RunDir holds sockets (kept short: a unix socket path has 108 bytes).
	RunDir string

	NetNS       string // network namespace of the node
	HostVeth    string // host side of the node link
	NodeVeth    string // node side of the node link
	SinkVeth    string // pair kept inside the namespace: the Service range goes there
	Bridge      string // CNI bridge inside the namespace
	HostIP      string // host side address (/30); the apiserver binds here
	NodeIP      string // node side address (/30)
	PodCIDR     string
	ServiceCIDR string
	ServiceIP   string // first address of ServiceCIDR: the kubernetes Service
	// SimCIDR is for the addresses of simulated nodes and their pods
	// (kwok, in the benchmark): routed from the host into the node's
	// namespace, where it goes to the sink, as the Service range does. Never
	// a range the host would send out.
	SimCIDR string

	APIServerPort int
	EtcdPort      int
	EtcdPeerPort  int

	// MaxPods is the kubelet's maxPods (the benchmark runs hundreds of pods
	// on the one node; the pod subnet must hold them).
	MaxPods int
	// MaxRequestsInflight, when not 0, is the apiserver's
	// --max-requests-inflight (and half of it --max-mutating-requests-inflight):
	// a small one shows how a gather behaves against a loaded apiserver.
	MaxRequestsInflight int

	NodeName   string
	CgroupRoot string // private cgroup tree of the node, in every v1 hierarchy

	// AuditLogDir and KubeletLogFile are real host paths where must-gather
	// collectors look; the harness owns them only while it runs.
	AuditLogDir    string
	KubeletLogFile string
	// JournalDir gets a systemd journal with entries of a crio unit (the
	// volatile journal directory, read by journalctl on the host: by the
	// kubelet's log query and in debug pods); "none": no journal.
	JournalDir string

	// Node is set by up: whether the node tier runs.
	Node bool
}

func defaultConfig() Config {
	return Config{
		Dir:            "_output/cluster",
		RunDir:         "/run/mgtk-testcluster",
		NetNS:          "mgtk-node",
		HostVeth:       "mgtk0",
		NodeVeth:       "mgtk1",
		SinkVeth:       "mgtksvc",
		Bridge:         "mgtkbr0",
		HostIP:         "10.244.99.1",
		NodeIP:         "10.244.99.2",
		PodCIDR:        "10.244.100.0/24",
		ServiceCIDR:    "10.0.0.0/24",
		SimCIDR:        "10.244.128.0/17",
		ServiceIP:      "10.0.0.1",
		APIServerPort:  16443,
		EtcdPort:       12379,
		EtcdPeerPort:   12380,
		MaxPods:        250,
		NodeName:       "mgtk-node",
		CgroupRoot:     "/mgtk-testcluster",
		AuditLogDir:    "/var/log/kube-apiserver",
		KubeletLogFile: "/var/log/kubelet.log",
		JournalDir:     "/run/log/journal",
	}
}

type stringVar struct {
	p    *string
	name string
	env  string
	help string
}

// AddFlags registers every field as a flag whose default comes from its
// TESTCLUSTER_* variable when set.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	strs := []stringVar{
		{&c.Dir, "dir", "TESTCLUSTER_DIR", "state directory (kubeconfig, PKI, data, logs)"},
		{&c.RunDir, "run-dir", "TESTCLUSTER_RUN_DIR", "directory for sockets"},
		{&c.NetNS, "netns", "TESTCLUSTER_NETNS", "network namespace of the node"},
		{&c.HostVeth, "host-veth", "TESTCLUSTER_HOST_VETH", "host side interface of the node link"},
		{&c.NodeVeth, "node-veth", "TESTCLUSTER_NODE_VETH", "node side interface of the node link"},
		{&c.SinkVeth, "sink-veth", "TESTCLUSTER_SINK_VETH", "prefix of the Service-range sink pair inside the namespace"},
		{&c.Bridge, "bridge", "TESTCLUSTER_BRIDGE", "CNI bridge inside the namespace"},
		{&c.HostIP, "host-ip", "TESTCLUSTER_HOST_IP", "host side address of the node link (a /30)"},
		{&c.NodeIP, "node-ip", "TESTCLUSTER_NODE_IP", "node side address of the node link (same /30)"},
		{&c.PodCIDR, "pod-cidr", "TESTCLUSTER_POD_CIDR", "pod subnet"},
		{&c.ServiceCIDR, "service-cidr", "TESTCLUSTER_SERVICE_CIDR", "Service subnet"},
		{&c.SimCIDR, "sim-cidr", "TESTCLUSTER_SIM_CIDR", "range for simulated nodes and pods, routed into the node's namespace and sunk there"},
		{&c.NodeName, "node-name", "TESTCLUSTER_NODE_NAME", "name of the node"},
		{&c.CgroupRoot, "cgroup-root", "TESTCLUSTER_CGROUP_ROOT", "private cgroup root of the node"},
		{&c.AuditLogDir, "audit-log-dir", "TESTCLUSTER_AUDIT_LOG_DIR", "where the apiserver writes audit.log"},
		{&c.KubeletLogFile, "kubelet-log-file", "TESTCLUSTER_KUBELET_LOG_FILE", "where the kubelet's output goes"},
		{&c.JournalDir, "journal-dir", "TESTCLUSTER_JOURNAL_DIR", "journal directory that gets the node's crio entries (none: no journal)"},
	}
	for _, s := range strs {
		if v := os.Getenv(s.env); v != "" {
			*s.p = v
		}
		fs.StringVar(s.p, s.name, *s.p, s.help+" ($"+s.env+")")
	}
	ints := []struct {
		p    *int
		name string
		env  string
		help string
	}{
		{&c.APIServerPort, "apiserver-port", "TESTCLUSTER_APISERVER_PORT", "apiserver port"},
		{&c.EtcdPort, "etcd-port", "TESTCLUSTER_ETCD_PORT", "etcd client port (loopback)"},
		{&c.EtcdPeerPort, "etcd-peer-port", "TESTCLUSTER_ETCD_PEER_PORT", "etcd peer port (loopback)"},
		{&c.MaxPods, "max-pods", "TESTCLUSTER_MAX_PODS", "the kubelet's maxPods"},
		{&c.MaxRequestsInflight, "max-requests-inflight", "TESTCLUSTER_MAX_REQUESTS_INFLIGHT", "the apiserver's --max-requests-inflight (0: its default)"},
	}
	for _, i := range ints {
		if v := os.Getenv(i.env); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				*i.p = n
			}
		}
		fs.IntVar(i.p, i.name, *i.p, i.help+" ($"+i.env+")")
	}
}

// Complete makes paths absolute and derives the Service IP.
func (c *Config) Complete() error {
	var err error
	if c.Dir, err = filepath.Abs(c.Dir); err != nil {
		return err
	}
	_, svc, err := net.ParseCIDR(c.ServiceCIDR)
	if err != nil {
		return fmt.Errorf("--service-cidr: %w", err)
	}
	ip := svc.IP.To4()
	if ip == nil {
		return fmt.Errorf("--service-cidr %s: only IPv4 is supported", c.ServiceCIDR)
	}
	first := make(net.IP, 4)
	copy(first, ip)
	first[3]++
	c.ServiceIP = first.String()
	for name, v := range map[string]string{"--host-ip": c.HostIP, "--node-ip": c.NodeIP} {
		if net.ParseIP(v).To4() == nil {
			return fmt.Errorf("%s %q is not an IPv4 address", name, v)
		}
	}
	if _, _, err := net.ParseCIDR(c.PodCIDR); err != nil {
		return fmt.Errorf("--pod-cidr: %w", err)
	}
	if _, _, err := net.ParseCIDR(c.SimCIDR); err != nil {
		return fmt.Errorf("--sim-cidr: %w", err)
	}
	if c.MaxPods < 1 {
		return fmt.Errorf("--max-pods %d: must be at least 1", c.MaxPods)
	}
	if c.MaxRequestsInflight < 0 {
		return fmt.Errorf("--max-requests-inflight %d: must not be negative", c.MaxRequestsInflight)
	}
	return nil
}

// Paths of the state directory, in one place.
func (c *Config) path(elem ...string) string {
	return filepath.Join(append([]string{c.Dir}, elem...)...)
}

func (c *Config) Kubeconfig() string         { return c.path("kubeconfig") }
func (c *Config) PKIDir() string             { return c.path("pki") }
func (c *Config) LogDir() string             { return c.path("logs") }
func (c *Config) PidFile(name string) string { return c.path("run", name+".pid") }
func (c *Config) NodeDir() string            { return c.path("node") }
func (c *Config) ContainerdSocket() string   { return filepath.Join(c.RunDir, "containerd.sock") }
func (c *Config) APIServerURL() string {
	return "https://" + net.JoinHostPort(c.HostIP, strconv.Itoa(c.APIServerPort))
}
func (c *Config) NetNSPath() string    { return "/var/run/netns/" + c.NetNS }
func (c *Config) AuditLogPath() string { return filepath.Join(c.AuditLogDir, "audit.log") }
