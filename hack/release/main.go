// Command release writes the release artifacts of one version into a folder:
// the client kubectl-must_gather for every platform users run it on, gather
// for every Linux architecture the image runs on, each in an archive of its
// own (.tar.gz, .zip for Windows), their sha256sums.txt, and the krew plugin
// manifest that names each archive with its checksum. `make
// release-artifacts` runs it; docs/release.md says how a release is cut.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	var o options
	var clients, gathers string
	fs.StringVar(&o.Version, "version", "", "the release's version (VERSION, without a leading v)")
	fs.StringVar(&o.LDFlags, "ldflags", "", "the -ldflags of every build")
	fs.StringVar(&o.Out, "out", "_output/release", "the folder to write the artifacts into (emptied first)")
	fs.Int64Var(&o.Epoch, "source-date-epoch", 0, "the time of every archive entry (the commit's time)")
	fs.StringVar(&o.URL, "url", "https://github.com/must-gather/toolkit/releases/download/v{{version}}", "where the archives are downloaded from ({{version}} is replaced)")
	fs.StringVar(&clients, "client-platforms", strings.Join(ClientPlatforms, ","), "os/arch list of the client's builds")
	fs.StringVar(&gathers, "gather-platforms", strings.Join(GatherPlatforms, ","), "os/arch list of gather's builds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("no arguments expected, got %q", fs.Args())
	}
	o.Clients, o.Gathers = split(clients), split(gathers)
	o.URL = strings.ReplaceAll(o.URL, "{{version}}", o.Version)
	files, err := Write(ctx, o)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(out, f)
	}
	return nil
}

func split(s string) []string {
	var list []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	return list
}
