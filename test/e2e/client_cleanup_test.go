package e2e

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/must-gather/toolkit/pkg/cli"
	"github.com/must-gather/toolkit/pkg/tempns"
	"github.com/must-gather/toolkit/test/clustertest"
)

// interruptSeedEnv replays the random moments of TestClientCleanup.
const interruptSeedEnv = "MGTK_INTERRUPT_SEED"

// runIDLine is the client's first line: every run's objects carry the label.
var runIDLine = regexp.MustCompile(`labelled ` + regexp.QuoteMeta(tempns.RunLabel) + `=([0-9a-f]+)`)

// leftOf lists what of run runID is in the cluster, by its label: its
// namespaces and the pods in them, its service accounts, role bindings and
// cluster role bindings anywhere, and the gather pods (app=must-gather) in
// runNS, a namespace of the user's it ran in ("" none).
func leftOf(ctx context.Context, t *testing.T, runID, runNS string) ([]string, error) {
	cs := clustertest.Client(t)
	sel := metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + runID}
	var left []string
	nss, err := cs.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return nil, err
	}
	podNS := []string{}
	for _, n := range nss.Items {
		left = append(left, "namespace "+n.Name)
		podNS = append(podNS, n.Name)
	}
	for _, ns := range podNS {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			left = append(left, "pod "+ns+"/"+p.Name)
		}
	}
	if runNS != "" {
		pods, err := cs.CoreV1().Pods(runNS).List(ctx, metav1.ListOptions{LabelSelector: "app=must-gather"})
		if err != nil {
			return nil, err
		}
		for _, p := range pods.Items {
			left = append(left, "pod "+runNS+"/"+p.Name)
		}
	}
	sas, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceAll).List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, s := range sas.Items {
		left = append(left, "serviceaccount "+s.Namespace+"/"+s.Name)
	}
	rbs, err := cs.RbacV1().RoleBindings(metav1.NamespaceAll).List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, b := range rbs.Items {
		left = append(left, "rolebinding "+b.Namespace+"/"+b.Name)
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return nil, err
	}
	for _, b := range crbs.Items {
		left = append(left, "clusterrolebinding "+b.Name)
	}
	slices.Sort(left)
	return left, nil
}

// assertNothingLeft waits (a namespace takes seconds to go) until nothing
// of run runID is left; what is left after a minute is the failure.
func assertNothingLeft(t *testing.T, what, runID, runNS string) {
	t.Helper()
	var left []string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, time.Minute, true, func(ctx context.Context) (bool, error) {
		var err error
		left, err = leftOf(ctx, t, runID, runNS)
		return err == nil && len(left) == 0, nil
	})
	if err != nil {
		t.Errorf("%s: left of run %s after a minute: %v", what, runID, left)
	}
}

// startClient starts the client with args; wait returns its exit code and
// stderr once it has ended. onLine hears each line of stderr as it comes.
func startClient(t *testing.T, bin string, onLine func(string), args ...string) (cmd *exec.Cmd, wait func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	dest := filepath.Join(t.TempDir(), "must-gather")
	cmd = exec.CommandContext(ctx, bin, append([]string{"--dest-dir", dest, "--kubeconfig", kubeconfigPath(t)}, args...)...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		var line []byte
		for {
			n, err := pipe.Read(buf)
			for _, c := range buf[:n] {
				stderr.WriteByte(c)
				line = append(line, c)
				if c == '\n' {
					if onLine != nil {
						onLine(string(line))
					}
					line = line[:0]
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return cmd, func() (int, string) {
		defer cancel()
		<-done
		_ = cmd.Wait()
		return cmd.ProcessState.ExitCode(), stderr.String()
	}
}

// runIDIn is the run a client's stderr names ("" none: it ended before it
// made anything).
func runIDIn(stderr string) string {
	if m := runIDLine.FindStringSubmatch(stderr); m != nil {
		return m[1]
	}
	return ""
}

// After each way a run of the client can end, nothing of it is left in the
// cluster (its namespace, the pods in it, service accounts, role bindings,
// cluster role bindings, found by the run's label): a normal run, a run
// whose --timeout ends while its gather still runs, SIGINT and SIGTERM at
// random moments of a run (MGTK_INTERRUPT_SEED replays the signals and
// the moments, as fractions of a normal run's length), and two
// SIGKILLed runs (one in a temporary namespace, one with --run-namespace)
// whose leftovers the next run sweeps once they have expired. --keep keeps
// everything on purpose.
func TestClientCleanup(t *testing.T) {
	t.Parallel()
	clustertest.RequireNode(t)
	ref := gatherImage(t)
	bin := clientBinary(t, ref)
	shell := shellImage(t)
	cs := clustertest.Client(t)
	// A quick gather of our image: the least-privilege roles, so the run
	// makes a role binding as well as a cluster role binding.
	quick := []string{"--image", ref, "--timeout", "2m", "--", "/usr/bin/gather", "inspect", "ns/default", "--dest-dir", "/must-gather"}

	// A normal run; its length is the span the random moments fall in.
	started := time.Now()
	_, waitNormal := startClient(t, bin, nil, quick...)
	code, stderr := waitNormal()
	span := time.Since(started)
	t.Logf("normal run: exit %d in %s", code, span.Round(100*time.Millisecond))
	if code != cli.ExitOK {
		t.Fatalf("normal run: exit code %d, want 0\n%s", code, stderr)
	}
	assertNothingLeft(t, "normal run", runIDIn(stderr), "")

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(interruptSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", interruptSeedEnv, s, err)
		}
	}
	t.Logf("interrupt seed %d (%s=%d replays it)", seed, interruptSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	type interrupt struct {
		sig syscall.Signal
		at  time.Duration
	}
	sigs := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[rng.IntN(2)]}
	var interrupts []interrupt
	for _, sig := range sigs {
		interrupts = append(interrupts, interrupt{sig, time.Duration(rng.Float64() * float64(span))})
	}

	t.Run("interrupted", func(t *testing.T) {
		t.Parallel()
		for i, in := range interrupts {
			t.Run(strconv.Itoa(i)+"-"+in.sig.String(), func(t *testing.T) {
				t.Parallel()
				cmd, wait := startClient(t, bin, nil, quick...)
				timer := time.AfterFunc(in.at, func() { _ = cmd.Process.Signal(in.sig) })
				code, stderr := wait()
				timer.Stop()
				runID := runIDIn(stderr)
				t.Logf("%s after %s: exit %d, run %q", in.sig, in.at.Round(time.Millisecond), code, runID)
				if runID == "" {
					// Before its first line the client has made nothing.
					if strings.Contains(stderr, "namespace ") {
						t.Errorf("stderr names no run, yet a namespace:\n%s", stderr)
					}
					return
				}
				// 0: the signal came after the run's work; 1: before any data;
				// 3: data came back, cut short.
				if !slices.Contains([]int{cli.ExitOK, cli.ExitFatal, cli.ExitPartial}, code) {
					t.Errorf("exit code %d\n%s", code, stderr)
				}
				assertNothingLeft(t, in.sig.String(), runID, "")
			})
		}
	})

	t.Run("timed-out", func(t *testing.T) {
		t.Parallel()
		_, wait := startClient(t, bin, nil, "--image", shell, "--timeout", "40s", "--", "/usr/bin/gather", "600")
		code, stderr := wait()
		if code != cli.ExitPartial || !strings.Contains(stderr, "stopping the gather of pod") {
			t.Errorf("exit code %d, want %d after stopping the gather\n%s", code, cli.ExitPartial, stderr)
		}
		assertNothingLeft(t, "timed-out run", runIDIn(stderr), "")
	})

	t.Run("kept", func(t *testing.T) {
		t.Parallel()
		_, wait := startClient(t, bin, nil, append([]string{"--keep"}, quick...)...)
		code, stderr := wait()
		runID := runIDIn(stderr)
		t.Cleanup(func() {
			ctx := context.Background()
			sel := metav1.ListOptions{LabelSelector: tempns.RunLabel + "=" + runID}
			if nss, err := cs.CoreV1().Namespaces().List(ctx, sel); err == nil {
				for _, n := range nss.Items {
					_ = cs.CoreV1().Namespaces().Delete(ctx, n.Name, metav1.DeleteOptions{})
				}
			}
			_ = cs.RbacV1().ClusterRoleBindings().DeleteCollection(ctx, metav1.DeleteOptions{}, sel)
		})
		if code != cli.ExitOK || runID == "" {
			t.Fatalf("exit code %d, want 0\n%s", code, stderr)
		}
		left, err := leftOf(t.Context(), t, runID, "")
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, l := range left {
			kinds[strings.Fields(l)[0]]++
		}
		for _, k := range []string{"namespace", "pod", "serviceaccount", "rolebinding", "clusterrolebinding"} {
			if kinds[k] != 1 {
				t.Errorf("--keep: %d %s of the run, want 1: %v", kinds[k], k, left)
			}
		}
		if !strings.Contains(stderr, "kept namespace ") {
			t.Errorf("stderr does not say what was kept:\n%s", stderr)
		}
	})

	// SIGKILL once the gather pod is made: the run cannot clean up. What it
	// left expires at its deadline plus a minute; rather than wait for that,
	// the test moves the expiry to the past, and the next run sweeps it.
	t.Run("killed", func(t *testing.T) {
		t.Parallel()
		userNS := clustertest.Namespace(t)
		type killed struct{ runID, runNS string }
		var (
			mu   sync.Mutex
			runs []killed
			wg   sync.WaitGroup
		)
		for _, runNS := range []string{"", userNS} {
			wg.Go(func() {
				args := quick
				if runNS != "" {
					args = append([]string{"--run-namespace", runNS}, quick...)
				}
				made := make(chan struct{})
				var once sync.Once
				cmd, wait := startClient(t, bin, func(line string) {
					if strings.Contains(line, "] pod ") && strings.Contains(line, " runs ") {
						once.Do(func() { close(made) })
					}
				}, args...)
				ended := make(chan struct{})
				go func() {
					select {
					case <-made:
						_ = cmd.Process.Kill()
					case <-ended:
					}
				}()
				code, stderr := wait()
				close(ended)
				if code != -1 || !strings.Contains(stderr, "] pod ") {
					t.Errorf("run (--run-namespace %q) was not killed once its pod was made: exit %d\n%s", runNS, code, stderr)
					return
				}
				mu.Lock()
				runs = append(runs, killed{runIDIn(stderr), runNS})
				mu.Unlock()
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		patch := []byte(`{"metadata":{"annotations":{"` + tempns.ExpiresAnnotation + `":"` + past + `"}}}`)
		for _, k := range runs {
			left, err := leftOf(t.Context(), t, k.runID, k.runNS)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("left by killed run %s (--run-namespace %q): %v", k.runID, k.runNS, left)
			if len(left) == 0 {
				t.Errorf("the killed run %s left nothing: was it killed before it made anything?", k.runID)
			}
			expiring := 0
			for _, l := range left {
				kind, name, _ := strings.Cut(l, " ")
				ns, n, namespaced := strings.Cut(name, "/")
				var err error
				switch {
				case kind == "namespace":
					_, err = cs.CoreV1().Namespaces().Patch(t.Context(), name, types.MergePatchType, patch, metav1.PatchOptions{})
				case kind == "clusterrolebinding":
					_, err = cs.RbacV1().ClusterRoleBindings().Patch(t.Context(), name, types.MergePatchType, patch, metav1.PatchOptions{})
				case kind == "serviceaccount" && namespaced:
					_, err = cs.CoreV1().ServiceAccounts(ns).Patch(t.Context(), n, types.MergePatchType, patch, metav1.PatchOptions{})
				default:
					continue // goes with what owns it
				}
				if err != nil {
					t.Fatalf("expiring %s: %v", l, err)
				}
				expiring++
			}
			if expiring == 0 {
				t.Errorf("nothing the killed run %s left carries an expiry: %v", k.runID, left)
			}
		}
		_, wait := startClient(t, bin, nil, quick...)
		code, stderr := wait()
		if code != cli.ExitOK {
			t.Fatalf("the next run: exit code %d, want 0\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "of an earlier run (expired") {
			t.Errorf("the next run does not say it swept an earlier run's leftovers:\n%s", stderr)
		}
		for _, k := range runs {
			assertNothingLeft(t, "killed run, then the next", k.runID, k.runNS)
		}
		assertNothingLeft(t, "the run after the killed ones", runIDIn(stderr), "")
	})
}
