package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/must-gather/toolkit/pkg/agentstream"
	"github.com/must-gather/toolkit/pkg/pods"
	"github.com/must-gather/toolkit/pkg/redact"
	"github.com/must-gather/toolkit/test/clustertest"
)

// memFile keeps a file of an agent stream in memory.
type memFile struct {
	bytes.Buffer
	done func([]byte)
}

func (f *memFile) Close() error { f.done(f.Bytes()); return nil }
func (f *memFile) Abort()       {}

// The pod plumbing on a real pod: it runs (seen through the watch), a
// big stream comes back whole over exec (the gather binary through the
// node agent's stream), a tar stream over exec unpacks, a failing command's
// stderr is in its error, a container's end and a pod's deletion are seen.
func TestPodsPlumbing(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ns := clustertest.Namespace(t)
	image := gatherImage(t)
	c := pods.Client{CS: clustertest.Client(t), Config: clustertest.Config(t)}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	run := func(name string, command ...string) string {
		t.Helper()
		p, err := c.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: new(int64),
				Containers: []corev1.Container{{Name: "c", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Command: command}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), ns, p.Name) })
		return p.Name
	}

	agent := run("agent", "/usr/bin/gather", "node-agent", "wait")
	if _, err := c.Wait(ctx, ns, agent, pods.Running); err != nil {
		t.Fatalf("waiting for the pod to run: %v", err)
	}
	in := pods.Container{Namespace: ns, Pod: agent, Name: "c"}
	files := func(dir string) func(io.Writer) error {
		return func(w io.Writer) error {
			return c.Exec(ctx, in, []string{"/usr/bin/gather", "node-agent", "files", "--root", "/", dir}, pods.Streams{Stdout: w})
		}
	}

	var binary []byte
	rd := agentstream.Reader{
		From:   agent,
		Accept: func(entry string) bool { return entry == "usr/bin/gather.gz" },
		Create: func(string) (agentstream.File, error) {
			return &memFile{done: func(b []byte) { binary = b }}, nil
		},
	}
	if err := pods.Pipe(files("usr/bin"), rd.Read); err != nil {
		t.Fatalf("reading the agent's stream: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(binary))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The agent redacts every file it sends (with the audit rules): the
	// binary comes back as the same rules make it here.
	f, err := os.Open(gatherBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := io.ReadAll(redact.NewAuditReader(f))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the binary came back as %d bytes, not as its %d (redacted)", len(got), len(want))
	}

	// /etc of the pod: files the kubelet mounts (hosts, hostname, ...).
	dest := t.TempDir()
	if err := pods.Pipe(files("etc"), func(r io.Reader) error { return pods.Untar(ctx, r, dest) }); err != nil {
		t.Fatalf("unpacking: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dest, "etc/hosts.gz"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("etc/hosts.gz unpacked: %v, %v; want a file 0640", fi, err)
	}

	err = c.Exec(ctx, in, []string{"/usr/bin/gather", "node-agent", "files", "--since-time", "yesterday", "etc"}, pods.Streams{Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), `--since-time "yesterday" is not an RFC3339 time`) {
		t.Errorf("failing command: error = %v, want its stderr", err)
	}

	short := run("short", "/usr/bin/gather", "version")
	p, err := c.Wait(ctx, ns, short, pods.ContainerEnded("c"))
	if err != nil {
		t.Fatalf("waiting for the container to end: %v", err)
	}
	if s := p.Status.ContainerStatuses; len(s) != 1 || s[0].State.Terminated == nil || s[0].State.Terminated.ExitCode != 0 {
		t.Errorf("container status %+v, want ended with 0", s)
	}

	// Deleted while waited for: the wait ends with NotFound, not a timeout.
	gone := run("gone", "/usr/bin/gather", "node-agent", "wait")
	if _, err := c.Wait(ctx, ns, gone, pods.Running); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := c.Wait(ctx, ns, gone, pods.ContainerEnded("none"))
		waited <- err
	}()
	if err := c.Delete(ctx, ns, gone); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; !apierrors.IsNotFound(err) && !errors.Is(err, pods.ErrEnded) {
		t.Errorf("waiting for a deleted pod: %v, want NotFound (or ended, when the deletion is seen as the pod's end first)", err)
	}
}
