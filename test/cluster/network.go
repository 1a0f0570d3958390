package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// run runs a host command and returns its trimmed output; a failure carries
// the command line and what it printed.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// inNS runs a command inside the node's network namespace. nsenter, not
// `ip netns exec`: the latter remounts /sys and hides the cgroup mounts.
func (c *Config) inNS(ctx context.Context, name string, args ...string) (string, error) {
	return run(ctx, "nsenter", append([]string{"--net=" + c.NetNSPath(), "--", name}, args...)...)
}

// checkNetworkFree refuses to start when any name or address the cluster
// would take is already in use on this host.
func (c *Config) checkNetworkFree(ctx context.Context) error {
	var errs []error
	if _, err := os.Stat(c.NetNSPath()); err == nil {
		errs = append(errs, fmt.Errorf("network namespace %s exists (set TESTCLUSTER_NETNS, or run `make cluster-down` if it is ours)", c.NetNS))
	}
	for _, l := range []string{c.HostVeth} {
		if _, err := net.InterfaceByName(l); err == nil {
			errs = append(errs, fmt.Errorf("interface %s exists (set TESTCLUSTER_HOST_VETH)", l))
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return err
	}
	for _, a := range addrs {
		ip, _, _ := net.ParseCIDR(a.String())
		if ip != nil && (ip.String() == c.HostIP || ip.String() == c.NodeIP) {
			errs = append(errs, fmt.Errorf("address %s is already on this host (set TESTCLUSTER_HOST_IP/TESTCLUSTER_NODE_IP)", ip))
		}
	}
	for _, cidr := range []string{c.PodCIDR, c.ServiceCIDR, c.SimCIDR, c.HostIP + "/30"} {
		out, err := run(ctx, "ip", "-4", "route", "show", "to", "match", cidr)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] != "default" {
				errs = append(errs, fmt.Errorf("%s overlaps a route of this host: %q (set TESTCLUSTER_POD_CIDR/SERVICE_CIDR/SIM_CIDR/HOST_IP)", cidr, line))
			}
		}
	}
	for _, port := range []int{c.EtcdPort, c.EtcdPeerPort, c.APIServerPort} {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			errs = append(errs, fmt.Errorf("port %d is in use", port))
			continue
		}
		l.Close()
	}
	return errors.Join(errs...)
}

// setupNetwork creates the node's network namespace and links it to the
// host. SAFETY: the host forwards IPv4, so the namespace gets NO default
// route: only the /30, the pod subnet, the Service range and the simulated
// range (those two go to a sink) are routable, and anything else fails as
// "no route to host" inside it instead of leaving the machine.
func (c *Config) setupNetwork(ctx context.Context) error {
	sinkA, sinkB := c.SinkVeth+"0", c.SinkVeth+"1"
	hostCmds := [][]string{
		{"ip", "netns", "add", c.NetNS},
		{"ip", "link", "add", c.HostVeth, "type", "veth", "peer", "name", c.NodeVeth},
		{"ip", "link", "set", c.NodeVeth, "netns", c.NetNS},
		{"ip", "addr", "add", c.HostIP + "/30", "dev", c.HostVeth},
		{"ip", "link", "set", c.HostVeth, "up"},
	}
	for _, a := range hostCmds {
		if _, err := run(ctx, a[0], a[1:]...); err != nil {
			return err
		}
	}
	nsCmds := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "addr", "add", c.NodeIP + "/30", "dev", c.NodeVeth},
		{"ip", "link", "set", c.NodeVeth, "up"},
		// The sink: both ends stay in the namespace.
		{"ip", "link", "add", sinkA, "type", "veth", "peer", "name", sinkB},
		{"ip", "link", "set", sinkA, "up"},
		{"ip", "link", "set", sinkB, "up"},
		{"ip", "route", "add", c.ServiceCIDR, "dev", sinkA},
		{"ip", "route", "add", c.SimCIDR, "dev", sinkA},
		// Pods reach the host through the node: forward inside the namespace.
		{"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
		// In-cluster access without kube-proxy: the kubernetes Service to
		// the apiserver, for pods (PREROUTING) and for the node's own
		// processes and hostNetwork pods (OUTPUT).
		{"iptables", "-t", "nat", "-A", "PREROUTING", "-d", c.ServiceIP + "/32", "-p", "tcp", "--dport", "443",
			"-j", "DNAT", "--to-destination", net.JoinHostPort(c.HostIP, strconv.Itoa(c.APIServerPort))},
		{"iptables", "-t", "nat", "-A", "OUTPUT", "-d", c.ServiceIP + "/32", "-p", "tcp", "--dport", "443",
			"-j", "DNAT", "--to-destination", net.JoinHostPort(c.HostIP, strconv.Itoa(c.APIServerPort))},
	}
	for _, a := range nsCmds {
		if _, err := c.inNS(ctx, a[0], a[1:]...); err != nil {
			return err
		}
	}
	// The way back from the host to the pods, and the simulated range into
	// the namespace (where the sink takes it): the apiserver's connections
	// to a simulated node's kubelet never leave the machine.
	for _, cidr := range []string{c.PodCIDR, c.SimCIDR} {
		if _, err := run(ctx, "ip", "route", "add", cidr, "via", c.NodeIP, "dev", c.HostVeth); err != nil {
			return err
		}
	}
	return nil
}

// teardownNetwork deletes the namespace; its links, routes and iptables rules
// go with it, and so does the host end of the veth pair and its route.
func (c *Config) teardownNetwork(ctx context.Context) error {
	var errs []error
	if _, err := os.Stat(c.NetNSPath()); err == nil {
		if _, err := run(ctx, "ip", "netns", "del", c.NetNS); err != nil {
			errs = append(errs, err)
		}
	}
	// The kernel removes the host end after the namespace, a moment
	// later: it may go between the look and the delete (seen once in CI).
	if _, err := net.InterfaceByName(c.HostVeth); err == nil {
		if _, err := run(ctx, "ip", "link", "del", c.HostVeth); err != nil {
			if _, still := net.InterfaceByName(c.HostVeth); still == nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
