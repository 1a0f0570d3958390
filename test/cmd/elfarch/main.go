// Command elfarch prints the architecture of each ELF executable named on
// its command line, in OCI's words (amd64, arm64, ppc64le, s390x), read
// from the header (e_machine, class and byte order) without running it:
//
//	elfarch rootfs/usr/bin/gather    # arm64
//
// hack/image-test.sh uses it on /usr/bin/gather copied out of each
// platform's image of the manifest list.
package main

import (
	"debug/elf"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "elfarch:", err)
		os.Exit(1)
	}
}

func run(paths []string) error {
	if len(paths) == 0 {
		return fmt.Errorf("usage: elfarch FILE...")
	}
	for _, p := range paths {
		arch, err := archOf(p)
		if err != nil {
			return err
		}
		fmt.Println(arch)
	}
	return nil
}

// archOf reads the header of the ELF file at path.
func archOf(path string) (arch string, err error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", path, cerr)
		}
	}()
	return archOfHeader(f.FileHeader)
}

// archOfHeader names the architecture of a 64-bit executable's header.
func archOfHeader(h elf.FileHeader) (string, error) {
	if h.Class != elf.ELFCLASS64 || h.Type != elf.ET_EXEC {
		return "", fmt.Errorf("not a 64-bit ELF executable: class %v, type %v", h.Class, h.Type)
	}
	switch {
	case h.Machine == elf.EM_X86_64 && h.Data == elf.ELFDATA2LSB:
		return "amd64", nil
	case h.Machine == elf.EM_AARCH64 && h.Data == elf.ELFDATA2LSB:
		return "arm64", nil
	case h.Machine == elf.EM_PPC64 && h.Data == elf.ELFDATA2LSB:
		return "ppc64le", nil
	case h.Machine == elf.EM_S390 && h.Data == elf.ELFDATA2MSB:
		return "s390x", nil
	}
	return "", fmt.Errorf("unknown architecture: machine %v, %v", h.Machine, h.Data)
}
