// Package starter holds the model `ocellus serve` classifies with when it
// is given none: a small CNN that ocellus trains itself, from scratch, on
// its own demo scenes (camera.NewDemo), with its own trainer (nn/train). No
// downloaded weights: the generator is in this directory and reproducible.
//
// # The model
//
// Model returns a float32 ONNX model (opset 13): input "input"
// [1, 3, 64, 64] NCHW, output "logits" [1, 5] — logits, no softmax (the
// same as the models finetune trains from it; apply a softmax for
// confidences). Classes: Labels, = camera.DemoClassNames(). Preprocessing:
// Spec (the whole frame resized to 64×64 with Pillow's antialiased
// bilinear filter, RGB, x/127.5 − 1); write it next to the model file with
// preprocess.WriteSidecar so that finetune and `ocellus classify` find it.
//
//	conv0   Conv 3→16, 3×3 stride 2, Relu                    32×32×16
//	b1      depthwise 3×3 stride 2, Relu; 1×1 16→32, Relu    16×16×32
//	b2      depthwise 3×3 stride 2, Relu; 1×1 32→64, Relu     8×8×64
//	b3      depthwise 3×3 stride 2, Relu; 1×1 64→128, Relu    4×4×128
//	        GlobalAveragePool, Flatten                        128
//	fc      Gemm 128→5                                        logits
//
// About 13k parameters (55 KB) and 0.9 M multiply-adds a frame. No
// BatchNorm: nn/train trains BatchNorm only frozen. finetune replaces fc
// with a new head (train.ReplaceHead finds the Gemm); UnfreezeLast = 3 is
// "the last block (b3's two convolutions) and the head" for its phase 2.
//
// # Training
//
// `go generate` in this directory runs `go run -tags purego ./gen -o
// starter.onnx`: 6000 frames of demo seed 1 (4 frames spread over each of
// 1500 shots, classes balanced by the demo; half the shots at the demo's
// default 320×240, a quarter at 640×480, a quarter at 160×120),
// He-uniform convolution and Glorot-uniform fc weights from a fixed seed,
// 8 epochs of Adam (batch 32, learning rate 2e-3 decayed along a cosine
// to 4e-5) on softmax cross-entropy, batches in train.Shuffle order. The
// whole network is the "tail" of a split at the input (train.Cut{Tensor:
// "input"}); the trained parameters are written back into the ONNX
// layout. It takes about 2½ minutes on the (shared, 2-core) build
// machine, and reports the accuracy on held-out frames of demo seed 2:
// 1.000 on 1000 frames at 320×240 and on 250 at each of 640×480, 160×120
// and 256×256.
//
// # Reproducibility
//
// The demo frames are integer arithmetic, the same everywhere; shuffling
// and initialisation come from seeded PCG streams; nn/train's results do
// not depend on the thread count. The float arithmetic is what can differ:
// the purego tag switches off the assembly kernels (whose FMA chains
// depend on the CPU's vector units), and on amd64 the Go compiler does not
// fuse multiply-adds (GOAMD64 v1, the default), so the generator gives the
// committed bytes on any amd64 machine — with one caveat: math.Exp (in the
// loss) uses FMA on amd64 CPUs that have it, which every x86-64 CPU since
// 2013 does. On arm64 (and other architectures that fuse x·y+z into an FMA)
// the bytes differ in the last bits and so the weights drift apart; the
// model trained there classifies as well but is not the committed file.
// TestRegenerate (set OCELLUS_STARTER_REGEN=1 and build with -tags purego;
// about 2½ minutes) retrains and compares with the committed bytes.
package starter

import (
	_ "embed"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/starter/internal/build"
)

//go:generate go run -tags purego ./gen -o starter.onnx

//go:embed starter.onnx
var model []byte

// UnfreezeLast is the finetune.Config.UnfreezeLast that unfreezes the
// model's last block and the head: b3's depthwise and pointwise
// convolutions and the classifier.
const UnfreezeLast = 3

// Model returns the embedded ONNX model's bytes (a copy).
func Model() []byte { return append([]byte(nil), model...) }

// Labels returns the model's classes in output order:
// camera.DemoClassNames().
func Labels() []string { return camera.DemoClassNames() }

// Spec returns the model's preprocessing.
func Spec() preprocess.Spec { return build.Spec() }
