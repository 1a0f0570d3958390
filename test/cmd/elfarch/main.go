// Command elfarch prints the architecture of each Linux executable named on
// its command line, in OCI's words (amd64, arm64, ppc64le, s390x), read
// from its ELF header without running it (test/binfmt):
//
//	elfarch rootfs/usr/bin/gather    # arm64
//
// hack/image-test.sh uses it on /usr/bin/gather copied out of each
// platform's image of the manifest list.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/must-gather/toolkit/test/binfmt"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "elfarch:", err)
		os.Exit(1)
	}
}

func run(paths []string) error {
	if len(paths) == 0 {
		return errors.New("usage: elfarch FILE...")
	}
	for _, p := range paths {
		platform, err := platformOf(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		arch, ok := strings.CutPrefix(platform, "linux/")
		if !ok {
			return fmt.Errorf("%s: a %s executable, not a Linux one", p, platform)
		}
		fmt.Println(arch)
	}
	return nil
}

func platformOf(path string) (platform string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	return binfmt.Platform(f)
}
