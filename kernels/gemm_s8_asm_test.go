//go:build !purego && (amd64 || arm64)

package kernels

import (
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestGemmS8AsmSelected asserts that the assembly impls this CPU supports
// are registered as available and that dispatch picks the best of them:
// under qemu -cpu max the SDOT kernel, under -cpu cortex-a72 the widening
// one, on an AVX2 machine the AVX2 broadcast one (with AVX512_VNNI the
// VPDPBUSD one, whose wide-weight fallback is the VPDPWSSD one; with
// AVX512BW as well its 6×32 ZMM variant).
func TestGemmS8AsmSelected(t *testing.T) {
	avail := map[string]bool{}
	for _, im := range qGemmImpls() {
		avail[im.Name] = true
	}
	want := ""
	switch runtime.GOARCH {
	case "amd64":
		if cpu.X86.HasAVX2 {
			want = "gemmS8_6x16_avx2"
			if !avail["gemmS8_4x2_avx2"] {
				t.Errorf("gemmS8_4x2_avx2 not available")
			}
		}
		if cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI {
			for _, n := range []string{"gemmS8_6x16_vnni", "gemmS8_6x16_avx2", "gemmS8_4x2_vnni"} {
				if !avail[n] {
					t.Errorf("%s not available", n)
				}
			}
			want = "gemmS8_6x16_vnni8"
			if cpu.X86.HasAVX512BW {
				if !avail["gemmS8_6x16_vnni8"] {
					t.Errorf("gemmS8_6x16_vnni8 not available")
				}
				want = "gemmS8_6x32_avx512"
			} else if avail["gemmS8_6x32_avx512"] {
				t.Errorf("gemmS8_6x32_avx512 available without HasAVX512BW")
			}
		}
	case "arm64":
		if !avail["gemmS8_4x2_neon"] {
			t.Errorf("gemmS8_4x2_neon not available on arm64")
		}
		want = "gemmS8_4x2_neon"
		if cpu.ARM64.HasASIMDDP {
			want = "gemmS8_4x2_sdot"
		} else if avail["gemmS8_4x2_sdot"] {
			t.Errorf("gemmS8_4x2_sdot available without HasASIMDDP")
		}
	}
	t.Logf("HasASIMDDP=%v HasAVX2=%v: want %q, dispatch %s", cpu.ARM64.HasASIMDDP, cpu.X86.HasAVX2, want, gemmS8Best().Name)
	if want == "" {
		return
	}
	if !avail[want] {
		t.Fatalf("%s not available", want)
	}
	if got := gemmS8Best().Name; got != want {
		t.Errorf("dispatch picks %s, want %s", got, want)
	}
}
