package binfmt

import (
	"debug/elf"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestELFArch(t *testing.T) {
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
			got, err := elfArch(tt.header)
			if (err != nil) != tt.wantErr {
				t.Fatalf("elfArch() error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("elfArch() (-want +got):\n%s", diff)
			}
		})
	}
}
