package kernels

import (
	"math"
	"runtime"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// TestGemmS8ImplsAvailable logs which int8 GEMM impls run on this machine
// and which one dispatch picks, so a CI log shows every path that ran.
func TestGemmS8ImplsAvailable(t *testing.T) {
	var names []string
	for _, im := range qGemmImpls() {
		names = append(names, im.Name)
	}
	t.Logf("%s: int8 GEMM impls available: %v; dispatch: %s", runtime.GOARCH, names, gemmS8Best().Name)
	if len(names) == 0 {
		t.Fatal("no int8 GEMM impl available")
	}
}

// TestGemmS8DotEdges runs every impl on narrow weights (no zero point, so
// the Narrow impls are really used) at the edges of the dot kernels: K
// around the 8 and 16 steps, N around the 2-column panels and the
// 32-column chunk of one assembly call, M around the 4-row tile, extreme
// values; outputs guard-padded at offsets 0–3.
func TestGemmS8DotEdges(t *testing.T) {
	r := ckRNG(t)
	for _, gm := range qGemmImpls() {
		for _, K := range []int{1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 100, 577} {
			for _, N := range []int{1, 2, 3, 13, 16, 17, 24, 31, 32, 33, 65, 129} {
				for _, M := range []int{1, 3, 4, 5, 6, 7, 8, 13} {
					mode := qModes[(K+N+M)%2]
					x, w := qRandS8(r, M*K), qRandS8(r, K*N)
					if (K+M)%5 == 0 { // extremes: every product 128·128
						for i := range x {
							x[i] = -128
						}
						for i := range w {
							w[i] = -128
						}
					}
					g := ConvGeom{C: K, OC: N, KH: 1, KW: 1, Groups: 1}
					p := qDrawConv(r, g, mode)
					d := packDenseS8With(K, N, w, false, nil, p.bias, p.xZero, p.rq, gm)
					if d.gemm != gm {
						t.Fatalf("%s: packed with %s", gm.Name, d.gemm.Name)
					}
					name := ckName(gm.Name, " M=", M, " K=", K, " N=", N, " ", mode)
					gd := newQGuard(M*N, (K+N)%4)
					d.Run(x, M, gd.out())
					gd.check(t, name)
					want := make([]int8, M*N)
					ref.DenseS8(M, K, N, x, p.xZero, w, nil, p.bias, &p.rrq, want)
					qEqual(t, name, gd.out(), want)
				}
			}
		}
	}
}

// TestGemmS8NarrowFallback checks that a Narrow impl hands weights with a
// zero point to a wide impl, which computes them exactly.
func TestGemmS8NarrowFallback(t *testing.T) {
	for i := range gemmS8Impls {
		im := &gemmS8Impls[i]
		w := im.forWeights(true)
		if w.Narrow {
			t.Errorf("%s.forWeights(true) = narrow %s", im.Name, w.Name)
		}
		if !im.Narrow && w != im {
			t.Errorf("%s.forWeights(true) = %s, want itself", im.Name, w.Name)
		}
		if im.forWeights(false) != im {
			t.Errorf("%s.forWeights(false) is not itself", im.Name)
		}
	}
}

// TestGemmS8FusedStoreEdges runs every impl on the float requantization
// that the broadcast kernels fuse into their store, at the edges of the
// strip kernels: M around the 6-row strips, N around the 16-column panels
// and the 32-column pairs of the ZMM tile (an odd whole panel, a partial
// last one, both), K multiples of 4 (the strip kernels) and not (the
// per-strip path), small K as in MobileNet's expansions; per-channel and
// per-tensor scales; the clamp-free store (noClamp, asserted, with sums
// that saturate int8) and the clamped one; outputs guard-padded at
// offsets 0–3. Each impl must give the reference's bits, so the ZMM kernel
// also gives the 6×16 kernel's.
func TestGemmS8FusedStoreEdges(t *testing.T) {
	r := ckRNG(t)
	var noClamp, clamp int
	for _, gm := range qGemmImpls() {
		for _, K := range []int{4, 7, 8, 9, 16, 24, 32, 100} {
			for _, N := range []int{16, 31, 32, 33, 47, 48, 49, 64, 80, 96, 97, 112, 144} {
				for _, M := range []int{6, 7, 11, 12, 13, 18, 25} {
					it := K + N + M
					x, w := qRandS8(r, M*K), qRandS8(r, K*N)
					bias := qRandI32(r, N, int32(2000*math.Sqrt(float64(K))))
					xz := r.Int32N(256) - 128
					// Scales around 40/(7000·sqrt(K)) spread the outputs;
					// ×30 of it saturates many of them.
					s := 40 / (7000 * math.Sqrt(float64(K)))
					if it%3 == 0 {
						s *= 30
					}
					rq := Requant{Mode: RequantFloat, ZeroPoint: r.Int32N(256) - 128, Min: -128, Max: 127}
					switch it % 4 {
					case 1:
						rq.Min = rq.ZeroPoint
					case 2:
						rq.Min, rq.Max = -100+r.Int32N(50), 60+r.Int32N(60)
					}
					nsc := N
					if it%5 == 0 {
						nsc = 1
					}
					for j := 0; j < nsc; j++ {
						rq.Scale = append(rq.Scale, float32(s*math.Exp2(r.Float64()*2-1)))
					}
					d := packDenseS8With(K, N, w, false, nil, bias, xz, rq, gm)
					if d.gemm != gm {
						t.Fatalf("%s: packed with %s", gm.Name, d.gemm.Name)
					}
					if d.epi.fbias == nil {
						t.Fatalf("%s: float requantization not prepared for the fused store", gm.Name)
					}
					if want := rq.Min == -128 && rq.Max == 127; d.epi.noClamp != want {
						t.Fatalf("%s: noClamp = %v with clamp [%d, %d], scales < 0.5", gm.Name, d.epi.noClamp, rq.Min, rq.Max)
					}
					if d.epi.noClamp {
						noClamp++
					} else {
						clamp++
					}
					name := ckName(gm.Name, " M=", M, " K=", K, " N=", N, " scales=", nsc, " clamp=[", rq.Min, ",", rq.Max, "]")
					gd := newQGuard(M*N, it%4)
					d.Run(x, M, gd.out())
					gd.check(t, name)
					want := make([]int8, M*N)
					rrq := qRefRequant(rq)
					ref.DenseS8(M, K, N, x, xz, w, nil, bias, &rrq, want)
					qEqual(t, name, gd.out(), want)
				}
			}
		}
	}
	if noClamp == 0 || clamp == 0 {
		t.Errorf("cases: %d clamp-free, %d clamped; want both", noClamp, clamp)
	}
}
