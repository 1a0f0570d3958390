package pods

import (
	"context"
	"fmt"
	"io"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

// Streams are an exec's standard streams; nil ones are not attached,
// except Stderr (see Exec).
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// stderrKept bounds how much of a command's stderr an error carries.
const stderrKept = 64 << 10

// Exec runs command in a container and connects its streams, as kubectl
// exec does: over websocket, falling back to SPDY for a server without it.
// It returns when the command ends (its exit code in an error) or ctx is
// done. When s.Stderr is nil, the command's stderr (its first 64 KiB) is
// told in the error.
func (c Client) Exec(ctx context.Context, in Container, command []string, s Streams) error {
	req := c.CS.CoreV1().RESTClient().Post().Resource("pods").Namespace(in.Namespace).Name(in.Pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{
			Container: in.Name, Command: command,
			Stdin: s.Stdin != nil, Stdout: s.Stdout != nil, Stderr: true,
		}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(c.Config, "GET", req.URL().String())
	if err != nil {
		return err
	}
	spdy, err := remotecommand.NewSPDYExecutor(c.Config, "POST", req.URL())
	if err != nil {
		return err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, httpstream.IsUpgradeFailure)
	if err != nil {
		return err
	}
	var kept *limitedBuffer
	stderr := s.Stderr
	if stderr == nil {
		kept = &limitedBuffer{left: stderrKept}
		stderr = kept
	}
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: s.Stdin, Stdout: s.Stdout, Stderr: stderr})
	if err == nil {
		return nil
	}
	if kept != nil && strings.TrimSpace(kept.String()) != "" {
		return fmt.Errorf("%s: %w: %s", strings.Join(command, " "), err, strings.TrimSpace(kept.String()))
	}
	return fmt.Errorf("%s: %w", strings.Join(command, " "), err)
}

// limitedBuffer keeps what is written to it up to a limit and drops the
// rest (without failing the writer).
type limitedBuffer struct {
	strings.Builder
	left int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := min(len(p), b.left)
	b.left -= n
	b.Builder.Write(p[:n])
	return len(p), nil
}

// TarCommand is the command that writes a tar stream of dir to stdout with
// the image's tar (as for `oc adm must-gather`, which needs tar in the
// image).
func TarCommand(dir string) []string { return []string{"tar", "cf", "-", "-C", dir, "."} }

// CopyOut writes a tar stream of the directory tree dir of a container to
// w (TarCommand run in it).
func (c Client) CopyOut(ctx context.Context, in Container, dir string, w io.Writer) error {
	return c.Exec(ctx, in, TarCommand(dir), Streams{Stdout: w})
}

// CopyDir copies the directory tree dir of a container into dest, as it
// comes (see Untar for what is refused).
func (c Client) CopyDir(ctx context.Context, in Container, dir, dest string) error {
	return c.CopyWith(ctx, in, TarCommand(dir), dest)
}

// CopyWith runs command in a container, which writes a tar stream to its
// stdout (TarCommand, or `gather node-agent tar DIR` in an image without
// tar), and unpacks it into dest as it comes (see Untar).
func (c Client) CopyWith(ctx context.Context, in Container, command []string, dest string) error {
	return Pipe(func(w io.Writer) error { return c.Exec(ctx, in, command, Streams{Stdout: w}) },
		func(r io.Reader) error { return Untar(ctx, r, dest) })
}
