// Package binfmt says which platform an executable is for, from its header
// alone, as file(1) does: nothing is run, so a test reads binaries of every
// architecture on any machine. The release test reads the archives' client
// and gather binaries with it, test/cmd/elfarch each image's gather.
package binfmt

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"errors"
	"fmt"
	"io"
)

// Platform returns the os/arch, in Go's and OCI's words (linux/ppc64le,
// darwin/arm64, windows/amd64), of the 64-bit executable r holds: an ELF
// (taken as linux), Mach-O or PE file.
func Platform(r io.ReaderAt) (string, error) {
	if f, err := elf.NewFile(r); err == nil {
		arch, err := elfArch(f.FileHeader)
		return "linux/" + arch, err
	}
	if f, err := macho.NewFile(r); err == nil {
		arch, ok := map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
		if f.Type != macho.TypeExec || !ok {
			return "", fmt.Errorf("not a 64-bit Mach-O executable: type %v, cpu %v", f.Type, f.Cpu)
		}
		return "darwin/" + arch, nil
	}
	if f, err := pe.NewFile(r); err == nil {
		arch, ok := map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
		if f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 || !ok {
			return "", fmt.Errorf("not a 64-bit PE executable: characteristics %#x, machine %#x", f.Characteristics, f.Machine)
		}
		return "windows/" + arch, nil
	}
	return "", errors.New("neither an ELF, a Mach-O nor a PE file")
}

// elfArch names the architecture of a 64-bit ELF executable's header.
func elfArch(h elf.FileHeader) (string, error) {
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
