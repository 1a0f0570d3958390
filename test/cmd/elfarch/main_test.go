package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArchOfHeader(t *testing.T) {
	t.Parallel()
	exe := func(m elf.Machine, d elf.Data) elf.FileHeader {
		return elf.FileHeader{Class: elf.ELFCLASS64, Type: elf.ET_EXEC, Machine: m, Data: d}
	}
	tests := []struct {
		name    string
		header  elf.FileHeader
		want    string
		wantErr bool
	}{
		{name: "amd64", header: exe(elf.EM_X86_64, elf.ELFDATA2LSB), want: "amd64"},
		{name: "arm64", header: exe(elf.EM_AARCH64, elf.ELFDATA2LSB), want: "arm64"},
		{name: "ppc64le", header: exe(elf.EM_PPC64, elf.ELFDATA2LSB), want: "ppc64le"},
		{name: "big-endian ppc64", header: exe(elf.EM_PPC64, elf.ELFDATA2MSB), wantErr: true},
		{name: "s390x", header: exe(elf.EM_S390, elf.ELFDATA2MSB), want: "s390x"},
		{name: "386", header: elf.FileHeader{Class: elf.ELFCLASS32, Type: elf.ET_EXEC, Machine: elf.EM_386, Data: elf.ELFDATA2LSB}, wantErr: true},
		{name: "shared object", header: elf.FileHeader{Class: elf.ELFCLASS64, Type: elf.ET_DYN, Machine: elf.EM_X86_64, Data: elf.ELFDATA2LSB}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := archOfHeader(tt.header)
			if (err != nil) != tt.wantErr {
				t.Fatalf("archOfHeader() error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("archOfHeader() (-want +got):\n%s", diff)
			}
		})
	}
}

// The helper reads real binaries: a static program cross-compiled for each
// platform of the image's list.
func TestArchOfCrossCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program four times")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64", "ppc64le", "s390x"} {
		out := filepath.Join(dir, arch)
		cmd := exec.Command("go", "build", "-o", out, src)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build for %s: %v\n%s", arch, err, b)
		}
		got, err := archOf(out)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(arch, got); diff != "" {
			t.Errorf("archOf(%s) (-want +got):\n%s", arch, diff)
		}
	}
}
