//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Float32 depthwise kernels for amd64, AVX2 and AVX-512 (see dwconvF32Args
// in asmargs_f32.go for the contract and dwconv_f32_amd64.go for the Go
// side). The AVX-512 kernel is the AVX2 one on ZMM registers with 16
// channels a block; its macros carry the suffix _Z.

#define DW_KIND dwconvF32Args_act+f32ActArgs_kind(R13)
#define DW_LO dwconvF32Args_act+f32ActArgs_lo(R13)
#define DW_HI dwconvF32Args_act+f32ActArgs_hi(R13)
#define DW_ALPHA dwconvF32Args_act+f32ActArgs_alpha(R13)
#define DW_BETA dwconvF32Args_act+f32ActArgs_beta(R13)

// Per-register steps, applied to a tile's accumulators by ACC8/ACC4/ACC1.
#define ZERO(r) VXORPS r, r, r
#define FROM15(r) VMOVAPS Y15, r

// CLAMPD: Y9 = lo, Y10 = hi. x is the second source so NaN stays NaN.
#define CLAMPD(r) \
	VMAXPS r, Y9, r;                        \
	VMINPS r, Y10, r

// HSIGD: Y9 = alpha, Y10 = beta, Y11 = 0, Y12 = 1.
#define HSIGD(r) \
	VFMADD213PS Y10, Y9, r;                 \
	VMAXPS      r, Y11, r;                  \
	VMINPS      r, Y12, r

// HSWD: as HSIGD with alpha 1/6, beta 1/2, Y13 the temporary, times x.
#define HSWD(r) \
	VMOVAPS     r, Y13;                     \
	VFMADD213PS Y10, Y9, Y13;               \
	VMAXPS      Y13, Y11, Y13;              \
	VMINPS      Y13, Y12, Y13;              \
	VMULPS      Y13, r, r

#define ACC8(M) M(Y0); M(Y1); M(Y2); M(Y3); M(Y4); M(Y5); M(Y6); M(Y7)
#define ACC4(M) M(Y0); M(Y1); M(Y2); M(Y3)
#define ACC1(M) M(Y0)

// One tap for 8, 4 or 1 pixels: the weights of channels [c0, c0+8) in Y8,
// one FMA per pixel with the input read from memory. Pixel j's input is at
// SI + j·PS (j < 4) and DI + (j-4)·PS, with R8 = PS and R9 = 3·PS.
#define TAP8 \
	VMOVUPS     (BX), Y8;                   \
	VFMADD231PS (SI), Y8, Y0;               \
	VFMADD231PS (SI)(R8*1), Y8, Y1;         \
	VFMADD231PS (SI)(R8*2), Y8, Y2;         \
	VFMADD231PS (SI)(R9*1), Y8, Y3;         \
	VFMADD231PS (DI), Y8, Y4;               \
	VFMADD231PS (DI)(R8*1), Y8, Y5;         \
	VFMADD231PS (DI)(R8*2), Y8, Y6;         \
	VFMADD231PS (DI)(R9*1), Y8, Y7

#define TAP4 \
	VMOVUPS     (BX), Y8;                   \
	VFMADD231PS (SI), Y8, Y0;               \
	VFMADD231PS (SI)(R8*1), Y8, Y1;         \
	VFMADD231PS (SI)(R8*2), Y8, Y2;         \
	VFMADD231PS (SI)(R9*1), Y8, Y3

#define TAP1 \
	VMOVUPS     (BX), Y8;                   \
	VFMADD231PS (SI), Y8, Y0

// DW_INIT starts the accumulators at bias[c0:c0+8] (AX = 4·c0) or zero.
#define DW_INIT(ACCS, lzero, ldone) \
	MOVQ    dwconvF32Args_bias(R13), R10;   \
	TESTQ   R10, R10;                       \
	JZ      lzero;                          \
	VMOVUPS (R10)(AX*1), Y15;               \
	ACCS(FROM15);                           \
	JMP     ldone;                          \
lzero:                                          \
	ACCS(ZERO);                             \
ldone:

// DW_TAPS runs the kh×kw taps of channel block AX for the pixels of the
// tile starting at CX: R10 counts kernel rows, R12 taps in a row; after a
// row the pointers move by the adjustments at 0(SP) (input) and 8(SP)
// (weights).
#define DW_TAPS(TAP, lky, lkx) \
	LEAQ (CX)(AX*1), SI;                    \
	LEAQ (SI)(R8*4), DI;                    \
	MOVQ dwconvF32Args_w(R13), BX;          \
	ADDQ AX, BX;                            \
	MOVQ dwconvF32Args_kh(R13), R10;        \
lky:                                            \
	MOVQ dwconvF32Args_kw(R13), R12;        \
lkx:                                            \
	TAP;                                    \
	ADDQ DX, BX;                            \
	ADDQ R11, SI;                           \
	ADDQ R11, DI;                           \
	DECQ R12;                               \
	JNZ  lkx;                               \
	ADDQ 0(SP), SI;                         \
	ADDQ 0(SP), DI;                         \
	ADDQ 8(SP), BX;                         \
	DECQ R10;                               \
	JNZ  lky

// DW_ACT applies the activation to the tile's accumulators.
#define DW_ACT(ACCS, lclamp, lhsig, lhsw, ldone) \
	MOVQ DW_KIND, R10;                      \
	CMPQ R10, $const_f32ActClamp;           \
	JEQ  lclamp;                            \
	CMPQ R10, $const_f32ActHardSigmoid;     \
	JEQ  lhsig;                             \
	CMPQ R10, $const_f32ActHardSwish;       \
	JEQ  lhsw;                              \
	JMP  ldone;                             \
lclamp:                                         \
	VBROADCASTSS DW_LO, Y9;                 \
	VBROADCASTSS DW_HI, Y10;                \
	ACCS(CLAMPD);                           \
	JMP  ldone;                             \
lhsig:                                          \
	VBROADCASTSS DW_ALPHA, Y9;              \
	VBROADCASTSS DW_BETA, Y10;              \
	VXORPS       Y11, Y11, Y11;             \
	MOVL         $0x3f800000, R10;          \
	VMOVD        R10, X12;                  \
	VBROADCASTSS X12, Y12;                  \
	ACCS(HSIGD);                            \
	JMP  ldone;                             \
lhsw:                                           \
	VBROADCASTSS DW_ALPHA, Y9;              \
	VBROADCASTSS DW_BETA, Y10;              \
	VXORPS       Y11, Y11, Y11;             \
	MOVL         $0x3f800000, R10;          \
	VMOVD        R10, X12;                  \
	VBROADCASTSS X12, Y12;                  \
	ACCS(HSWD);                             \
ldone:

// Stores of the tile's outputs: pixel j at R14 + j·DX + AX (DX = 4·C).
#define STORE8 \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Y0, (R10);                      \
	VMOVUPS Y1, (R10)(DX*1);                \
	VMOVUPS Y2, (R10)(DX*2);                \
	LEAQ    (R10)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Y3, (R12);                      \
	VMOVUPS Y4, (R12)(DX*1);                \
	VMOVUPS Y5, (R12)(DX*2);                \
	LEAQ    (R12)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Y6, (R12);                      \
	VMOVUPS Y7, (R12)(DX*1)

#define STORE4 \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Y0, (R10);                      \
	VMOVUPS Y1, (R10)(DX*1);                \
	VMOVUPS Y2, (R10)(DX*2);                \
	LEAQ    (R10)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Y3, (R12)

#define STORE1 \
	VMOVUPS Y0, (R14)(AX*1)

// DW_CNEXT moves to the next channel block of 8; the last block starts at
// C-8 and may overlap the one before.
#define DW_CNEXT(lblock, ldone) \
	ADDQ $32, AX;                           \
	CMPQ AX, DX;                            \
	JGE  ldone;                             \
	MOVQ DX, R10;                           \
	SUBQ $32, R10;                          \
	CMPQ AX, R10;                           \
	JLE  lblock;                            \
	MOVQ R10, AX;                           \
	JMP  lblock;                            \
ldone:

// One pixel × 4 channel blocks (32 channels): accumulators Y0–Y3,
// weights Y8–Y11 (free until the epilogue).
#define ACC1Q(M) M(Y0); M(Y1); M(Y2); M(Y3)

#define TAP1Q \
	VMOVUPS     (BX), Y8;                   \
	VFMADD231PS (SI), Y8, Y0;               \
	VMOVUPS     32(BX), Y9;                 \
	VFMADD231PS 32(SI), Y9, Y1;             \
	VMOVUPS     64(BX), Y10;                \
	VFMADD231PS 64(SI), Y10, Y2;            \
	VMOVUPS     96(BX), Y11;                \
	VFMADD231PS 96(SI), Y11, Y3

#define DW_INIT1Q(lzero, ldone) \
	MOVQ    dwconvF32Args_bias(R13), R10;   \
	TESTQ   R10, R10;                       \
	JZ      lzero;                          \
	ADDQ    AX, R10;                        \
	VMOVUPS (R10), Y0;                      \
	VMOVUPS 32(R10), Y1;                    \
	VMOVUPS 64(R10), Y2;                    \
	VMOVUPS 96(R10), Y3;                    \
	JMP     ldone;                          \
lzero:                                          \
	ACC1Q(ZERO);                            \
ldone:

#define STORE1Q \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Y0, (R10);                      \
	VMOVUPS Y1, 32(R10);                    \
	VMOVUPS Y2, 64(R10);                    \
	VMOVUPS Y3, 96(R10)

// func dwconvF32_kxk_8x8_avx2(p *dwconvF32Args)
//
// Depthwise convolution over a run of output pixels with any tap
// rectangle, stride and dilation (all in the byte strides of p). Tiles of
// 8 pixels × 8 channels (Y0–Y7, the weights in Y8), then a tile of 4
// pixels, then single pixels; channels in blocks of 8, the last block
// overlapping (c ≥ 8).
//
// General registers: R13 = p; DX = 4·C; R8 = pixStep, R9 = 3·pixStep;
// R11 = tapX; CX = input of the tile's first pixel, R14 = its output;
// AX = 4·c0; SI, DI, BX = input and weight pointers of the current tap;
// R10, R12 = loop counters and temporaries. Frame: 0(SP) = tapY - kw·tapX,
// 8(SP) = wRow - kw·4·C, 16(SP) = pixels left.
TEXT ·dwconvF32_kxk_8x8_avx2(SB), NOSPLIT, $24-8
	MOVQ  p+0(FP), R13
	MOVQ  dwconvF32Args_c(R13), DX
	SHLQ  $2, DX
	MOVQ  dwconvF32Args_pixStep(R13), R8
	LEAQ  (R8)(R8*2), R9
	MOVQ  dwconvF32Args_tapX(R13), R11
	MOVQ  dwconvF32Args_kw(R13), R10
	IMULQ R11, R10
	MOVQ  dwconvF32Args_tapY(R13), R12
	SUBQ  R10, R12
	MOVQ  R12, 0(SP)
	MOVQ  dwconvF32Args_kw(R13), R10
	IMULQ DX, R10
	MOVQ  dwconvF32Args_wRow(R13), R12
	SUBQ  R10, R12
	MOVQ  R12, 8(SP)
	MOVQ  dwconvF32Args_n(R13), R10
	MOVQ  R10, 16(SP)
	MOVQ  dwconvF32Args_x(R13), CX
	MOVQ  dwconvF32Args_y(R13), R14

pix:
	MOVQ  16(SP), R10
	CMPQ  R10, $8
	JGE   tile8
	CMPQ  R10, $4
	JGE   tile4
	TESTQ R10, R10
	JNZ   tile1
	VZEROUPPER
	RET

tile8:
	XORQ AX, AX

c8:
	DW_INIT(ACC8, z8, i8)
	DW_TAPS(TAP8, ky8, kx8)
	DW_ACT(ACC8, cl8, hs8, hw8, a8)
	STORE8
	DW_CNEXT(c8, n8)
	LEAQ (CX)(R8*8), CX
	MOVQ DX, R10
	SHLQ $3, R10
	ADDQ R10, R14
	SUBQ $8, 16(SP)
	JMP  pix

tile4:
	XORQ AX, AX

c4:
	DW_INIT(ACC4, z4, i4)
	DW_TAPS(TAP4, ky4, kx4)
	DW_ACT(ACC4, cl4, hs4, hw4, a4)
	STORE4
	DW_CNEXT(c4, n4)
	LEAQ (CX)(R8*4), CX
	MOVQ DX, R10
	SHLQ $2, R10
	ADDQ R10, R14
	SUBQ $4, 16(SP)
	JMP  pix

tile1:
	XORQ AX, AX

q1:
	// Blocks of 4·8 channels while they fit, then single blocks.
	LEAQ 128(AX), R10
	CMPQ R10, DX
	JGT  c1pre
	DW_INIT1Q(zq, iq)
	DW_TAPS(TAP1Q, kyq, kxq)
	DW_ACT(ACC1Q, clq, hsq, hwq, aq)
	STORE1Q
	ADDQ $(128), AX
	CMPQ AX, DX
	JEQ  n1
	JMP  q1

c1pre:
	// Fewer than 4 blocks left: if less than one, back up to overlap.
	LEAQ 32(AX), R10
	CMPQ R10, DX
	JLE  c1
	MOVQ DX, AX
	SUBQ $32, AX

c1:
	DW_INIT(ACC1, z1, i1)
	DW_TAPS(TAP1, ky1, kx1)
	DW_ACT(ACC1, cl1, hs1, hw1, a1)
	STORE1
	DW_CNEXT(c1, n1)
	ADDQ R8, CX
	ADDQ DX, R14
	SUBQ $1, 16(SP)
	JMP  pix

// ZMM versions of the macros above (suffix _Z): 16 channels per block.
#define ZERO_Z(r) VPXORD r, r, r
#define FROM15_Z(r) VMOVAPS Z15, r

#define CLAMPD_Z(r) \
	VMAXPS r, Z9, r;                        \
	VMINPS r, Z10, r

#define HSIGD_Z(r) \
	VFMADD213PS Z10, Z9, r;                 \
	VMAXPS      r, Z11, r;                  \
	VMINPS      r, Z12, r

#define HSWD_Z(r) \
	VMOVAPS     r, Z13;                     \
	VFMADD213PS Z10, Z9, Z13;               \
	VMAXPS      Z13, Z11, Z13;              \
	VMINPS      Z13, Z12, Z13;              \
	VMULPS      Z13, r, r

#define ACC8_Z(M) M(Z0); M(Z1); M(Z2); M(Z3); M(Z4); M(Z5); M(Z6); M(Z7)
#define ACC4_Z(M) M(Z0); M(Z1); M(Z2); M(Z3)
#define ACC1_Z(M) M(Z0)

#define TAP8_Z \
	VMOVUPS     (BX), Z8;                   \
	VFMADD231PS (SI), Z8, Z0;               \
	VFMADD231PS (SI)(R8*1), Z8, Z1;         \
	VFMADD231PS (SI)(R8*2), Z8, Z2;         \
	VFMADD231PS (SI)(R9*1), Z8, Z3;         \
	VFMADD231PS (DI), Z8, Z4;               \
	VFMADD231PS (DI)(R8*1), Z8, Z5;         \
	VFMADD231PS (DI)(R8*2), Z8, Z6;         \
	VFMADD231PS (DI)(R9*1), Z8, Z7

#define TAP4_Z \
	VMOVUPS     (BX), Z8;                   \
	VFMADD231PS (SI), Z8, Z0;               \
	VFMADD231PS (SI)(R8*1), Z8, Z1;         \
	VFMADD231PS (SI)(R8*2), Z8, Z2;         \
	VFMADD231PS (SI)(R9*1), Z8, Z3

#define TAP1_Z \
	VMOVUPS     (BX), Z8;                   \
	VFMADD231PS (SI), Z8, Z0

#define DW_INIT_Z(ACCS, lzero, ldone) \
	MOVQ    dwconvF32Args_bias(R13), R10;   \
	TESTQ   R10, R10;                       \
	JZ      lzero;                          \
	VMOVUPS (R10)(AX*1), Z15;               \
	ACCS(FROM15_Z);                         \
	JMP     ldone;                          \
lzero:                                          \
	ACCS(ZERO_Z);                           \
ldone:

#define DW_TAPS_Z(TAP, lky, lkx) \
	LEAQ (CX)(AX*1), SI;                    \
	LEAQ (SI)(R8*4), DI;                    \
	MOVQ dwconvF32Args_w(R13), BX;          \
	ADDQ AX, BX;                            \
	MOVQ dwconvF32Args_kh(R13), R10;        \
lky:                                            \
	MOVQ dwconvF32Args_kw(R13), R12;        \
lkx:                                            \
	TAP;                                    \
	ADDQ DX, BX;                            \
	ADDQ R11, SI;                           \
	ADDQ R11, DI;                           \
	DECQ R12;                               \
	JNZ  lkx;                               \
	ADDQ 0(SP), SI;                         \
	ADDQ 0(SP), DI;                         \
	ADDQ 8(SP), BX;                         \
	DECQ R10;                               \
	JNZ  lky

#define DW_ACT_Z(ACCS, lclamp, lhsig, lhsw, ldone) \
	MOVQ DW_KIND, R10;                      \
	CMPQ R10, $const_f32ActClamp;           \
	JEQ  lclamp;                            \
	CMPQ R10, $const_f32ActHardSigmoid;     \
	JEQ  lhsig;                             \
	CMPQ R10, $const_f32ActHardSwish;       \
	JEQ  lhsw;                              \
	JMP  ldone;                             \
lclamp:                                         \
	VBROADCASTSS DW_LO, Z9;                 \
	VBROADCASTSS DW_HI, Z10;                \
	ACCS(CLAMPD_Z);                         \
	JMP  ldone;                             \
lhsig:                                          \
	VBROADCASTSS DW_ALPHA, Z9;              \
	VBROADCASTSS DW_BETA, Z10;              \
	VPXORD       Z11, Z11, Z11;             \
	MOVL         $0x3f800000, R10;          \
	VMOVD        R10, X12;                  \
	VBROADCASTSS X12, Z12;                  \
	ACCS(HSIGD_Z);                          \
	JMP  ldone;                             \
lhsw:                                           \
	VBROADCASTSS DW_ALPHA, Z9;              \
	VBROADCASTSS DW_BETA, Z10;              \
	VPXORD       Z11, Z11, Z11;             \
	MOVL         $0x3f800000, R10;          \
	VMOVD        R10, X12;                  \
	VBROADCASTSS X12, Z12;                  \
	ACCS(HSWD_Z);                           \
ldone:

#define STORE8_Z \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Z0, (R10);                      \
	VMOVUPS Z1, (R10)(DX*1);                \
	VMOVUPS Z2, (R10)(DX*2);                \
	LEAQ    (R10)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Z3, (R12);                      \
	VMOVUPS Z4, (R12)(DX*1);                \
	VMOVUPS Z5, (R12)(DX*2);                \
	LEAQ    (R12)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Z6, (R12);                      \
	VMOVUPS Z7, (R12)(DX*1)

#define STORE4_Z \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Z0, (R10);                      \
	VMOVUPS Z1, (R10)(DX*1);                \
	VMOVUPS Z2, (R10)(DX*2);                \
	LEAQ    (R10)(DX*2), R12;               \
	ADDQ    DX, R12;                        \
	VMOVUPS Z3, (R12)

#define STORE1_Z \
	VMOVUPS Z0, (R14)(AX*1)

#define DW_CNEXT_Z(lblock, ldone) \
	ADDQ $64, AX;                           \
	CMPQ AX, DX;                            \
	JGE  ldone;                             \
	MOVQ DX, R10;                           \
	SUBQ $64, R10;                          \
	CMPQ AX, R10;                           \
	JLE  lblock;                            \
	MOVQ R10, AX;                           \
	JMP  lblock;                            \
ldone:

// One pixel × 4 channel blocks (64 channels): accumulators Z0–Z3,
// weights Z8–Z11 (free until the epilogue).
#define ACC1Q_Z(M) M(Z0); M(Z1); M(Z2); M(Z3)

#define TAP1Q_Z \
	VMOVUPS     (BX), Z8;                   \
	VFMADD231PS (SI), Z8, Z0;               \
	VMOVUPS     64(BX), Z9;                 \
	VFMADD231PS 64(SI), Z9, Z1;             \
	VMOVUPS     128(BX), Z10;               \
	VFMADD231PS 128(SI), Z10, Z2;           \
	VMOVUPS     192(BX), Z11;               \
	VFMADD231PS 192(SI), Z11, Z3

#define DW_INIT1Q_Z(lzero, ldone) \
	MOVQ    dwconvF32Args_bias(R13), R10;   \
	TESTQ   R10, R10;                       \
	JZ      lzero;                          \
	ADDQ    AX, R10;                        \
	VMOVUPS (R10), Z0;                      \
	VMOVUPS 64(R10), Z1;                    \
	VMOVUPS 128(R10), Z2;                   \
	VMOVUPS 192(R10), Z3;                   \
	JMP     ldone;                          \
lzero:                                          \
	ACC1Q_Z(ZERO_Z);                        \
ldone:

#define STORE1Q_Z \
	LEAQ    (R14)(AX*1), R10;               \
	VMOVUPS Z0, (R10);                      \
	VMOVUPS Z1, 64(R10);                    \
	VMOVUPS Z2, 128(R10);                   \
	VMOVUPS Z3, 192(R10)

// func dwconvF32_kxk_8x16_avx512(p *dwconvF32Args)
//
// dwconvF32_kxk_8x8_avx2 widened to ZMM: tiles of 8, 4 and 1 pixels × 16
// channels, the last channel block overlapping (c ≥ 16). Registers and
// frame as there.
TEXT ·dwconvF32_kxk_8x16_avx512(SB), NOSPLIT, $24-8
	MOVQ  p+0(FP), R13
	MOVQ  dwconvF32Args_c(R13), DX
	SHLQ  $2, DX
	MOVQ  dwconvF32Args_pixStep(R13), R8
	LEAQ  (R8)(R8*2), R9
	MOVQ  dwconvF32Args_tapX(R13), R11
	MOVQ  dwconvF32Args_kw(R13), R10
	IMULQ R11, R10
	MOVQ  dwconvF32Args_tapY(R13), R12
	SUBQ  R10, R12
	MOVQ  R12, 0(SP)
	MOVQ  dwconvF32Args_kw(R13), R10
	IMULQ DX, R10
	MOVQ  dwconvF32Args_wRow(R13), R12
	SUBQ  R10, R12
	MOVQ  R12, 8(SP)
	MOVQ  dwconvF32Args_n(R13), R10
	MOVQ  R10, 16(SP)
	MOVQ  dwconvF32Args_x(R13), CX
	MOVQ  dwconvF32Args_y(R13), R14

zpix:
	MOVQ  16(SP), R10
	CMPQ  R10, $8
	JGE   ztile8
	CMPQ  R10, $4
	JGE   ztile4
	TESTQ R10, R10
	JNZ   ztile1
	VZEROUPPER
	RET

ztile8:
	XORQ AX, AX

zc8:
	DW_INIT_Z(ACC8_Z, zz8, zi8)
	DW_TAPS_Z(TAP8_Z, zky8, zkx8)
	DW_ACT_Z(ACC8_Z, zcl8, zhs8, zhw8, za8)
	STORE8_Z
	DW_CNEXT_Z(zc8, zn8)
	LEAQ (CX)(R8*8), CX
	MOVQ DX, R10
	SHLQ $3, R10
	ADDQ R10, R14
	SUBQ $8, 16(SP)
	JMP  zpix

ztile4:
	XORQ AX, AX

zc4:
	DW_INIT_Z(ACC4_Z, zz4, zi4)
	DW_TAPS_Z(TAP4_Z, zky4, zkx4)
	DW_ACT_Z(ACC4_Z, zcl4, zhs4, zhw4, za4)
	STORE4_Z
	DW_CNEXT_Z(zc4, zn4)
	LEAQ (CX)(R8*4), CX
	MOVQ DX, R10
	SHLQ $2, R10
	ADDQ R10, R14
	SUBQ $4, 16(SP)
	JMP  zpix

ztile1:
	XORQ AX, AX

zq1:
	// Blocks of 4·16 channels while they fit, then single blocks.
	LEAQ 256(AX), R10
	CMPQ R10, DX
	JGT  zc1pre
	DW_INIT1Q_Z(zzq, ziq)
	DW_TAPS_Z(TAP1Q_Z, zkyq, zkxq)
	DW_ACT_Z(ACC1Q_Z, zclq, zhsq, zhwq, zaq)
	STORE1Q_Z
	ADDQ $(256), AX
	CMPQ AX, DX
	JEQ  zn1
	JMP  zq1

zc1pre:
	// Fewer than 4 blocks left: if less than one, back up to overlap.
	LEAQ 64(AX), R10
	CMPQ R10, DX
	JLE  zc1
	MOVQ DX, AX
	SUBQ $64, AX

zc1:
	DW_INIT_Z(ACC1_Z, zz1, zi1)
	DW_TAPS_Z(TAP1_Z, zky1, zkx1)
	DW_ACT_Z(ACC1_Z, zcl1, zhs1, zhw1, za1)
	STORE1_Z
	DW_CNEXT_Z(zc1, zn1)
	ADDQ R8, CX
	ADDQ DX, R14
	SUBQ $1, 16(SP)
	JMP  zpix
