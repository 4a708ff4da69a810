package train

import (
	"math"
	"math/rand/v2"
)

// GlorotUniform fills w with Glorot (Xavier) uniform values, U(−a, a) with
// a = √(6/(fanIn+fanOut)): Keras' default for Dense and Conv kernels.
func GlorotUniform(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	a := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * a)
	}
}

// HeUniform fills w with He (Kaiming) uniform values, U(−a, a) with
// a = √(6/fanIn), for layers followed by ReLU-like activations (fanIn of a
// convolution is KH·KW·C/Groups).
func HeUniform(w []float32, fanIn int, rng *rand.Rand) {
	a := math.Sqrt(6 / float64(fanIn))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * a)
	}
}

// HeNormal fills w with He (Kaiming) normal values, N(0, 2/fanIn).
func HeNormal(w []float32, fanIn int, rng *rand.Rand) {
	s := math.Sqrt(2 / float64(fanIn))
	for i := range w {
		w[i] = float32(rng.NormFloat64() * s)
	}
}

// Shuffle returns a permutation of [0, n) for one epoch: seeded by seed and
// epoch, so a run is reproducible and every epoch differs.
func Shuffle(n int, seed uint64, epoch int) []int {
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
	return rng.Perm(n)
}
