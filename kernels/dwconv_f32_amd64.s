//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Float32 depthwise kernels for amd64 (see dwconvF32Args in asmargs_f32.go
// for the contract and dwconv_f32_amd64.go for the Go side).

// Eight float32 ones, the upper clamp of the hard-sigmoid epilogues.
DATA dwOnes<>+0(SB)/8, $0x3f8000003f800000
DATA dwOnes<>+8(SB)/8, $0x3f8000003f800000
DATA dwOnes<>+16(SB)/8, $0x3f8000003f800000
DATA dwOnes<>+24(SB)/8, $0x3f8000003f800000
GLOBL dwOnes<>(SB), RODATA|NOPTR, $32

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
	VMAXPS r, Y9, r;  \
	VMINPS r, Y10, r

// HSIGD: Y9 = alpha, Y10 = beta, Y11 = 0, Y12 = 1.
#define HSIGD(r) \
	VFMADD213PS Y10, Y9, r; \
	VMAXPS      r, Y11, r;  \
	VMINPS      r, Y12, r

// HSWD: as HSIGD with alpha 1/6, beta 1/2, Y13 the temporary, times x.
#define HSWD(r) \
	VMOVAPS     r, Y13;        \
	VFMADD213PS Y10, Y9, Y13;  \
	VMAXPS      Y13, Y11, Y13; \
	VMINPS      Y13, Y12, Y13; \
	VMULPS      Y13, r, r

#define ACC8(M) M(Y0); M(Y1); M(Y2); M(Y3); M(Y4); M(Y5); M(Y6); M(Y7)
#define ACC4(M) M(Y0); M(Y1); M(Y2); M(Y3)
#define ACC1(M) M(Y0)

// One tap for 8, 4 or 1 pixels: the weights of channels [c0, c0+8) in Y8,
// one FMA per pixel with the input read from memory. Pixel j's input is at
// SI + j·PS (j < 4) and DI + (j-4)·PS, with R8 = PS and R9 = 3·PS.
#define TAP8 \
	VMOVUPS     (BX), Y8;            \
	VFMADD231PS (SI), Y8, Y0;        \
	VFMADD231PS (SI)(R8*1), Y8, Y1;  \
	VFMADD231PS (SI)(R8*2), Y8, Y2;  \
	VFMADD231PS (SI)(R9*1), Y8, Y3;  \
	VFMADD231PS (DI), Y8, Y4;        \
	VFMADD231PS (DI)(R8*1), Y8, Y5;  \
	VFMADD231PS (DI)(R8*2), Y8, Y6;  \
	VFMADD231PS (DI)(R9*1), Y8, Y7

#define TAP4 \
	VMOVUPS     (BX), Y8;            \
	VFMADD231PS (SI), Y8, Y0;        \
	VFMADD231PS (SI)(R8*1), Y8, Y1;  \
	VFMADD231PS (SI)(R8*2), Y8, Y2;  \
	VFMADD231PS (SI)(R9*1), Y8, Y3

#define TAP1 \
	VMOVUPS     (BX), Y8;     \
	VFMADD231PS (SI), Y8, Y0

// DW_INIT starts the accumulators at bias[c0:c0+8] (AX = 4·c0) or zero.
#define DW_INIT(ACCS, lzero, ldone) \
	MOVQ    dwconvF32Args_bias(R13), R10; \
	TESTQ   R10, R10;                     \
	JZ      lzero;                        \
	VMOVUPS (R10)(AX*1), Y15;             \
	ACCS(FROM15);                         \
	JMP     ldone;                        \
lzero:                                    \
	ACCS(ZERO);                           \
ldone:

// DW_TAPS runs the kh×kw taps of channel block AX for the pixels of the
// tile starting at CX: R10 counts kernel rows, R12 taps in a row; after a
// row the pointers move by the adjustments at 0(SP) (input) and 8(SP)
// (weights).
#define DW_TAPS(TAP, lky, lkx) \
	LEAQ (CX)(AX*1), SI;             \
	LEAQ (SI)(R8*4), DI;             \
	MOVQ dwconvF32Args_w(R13), BX;   \
	ADDQ AX, BX;                     \
	MOVQ dwconvF32Args_kh(R13), R10; \
lky:                                 \
	MOVQ dwconvF32Args_kw(R13), R12; \
lkx:                                 \
	TAP;                             \
	ADDQ DX, BX;                     \
	ADDQ R11, SI;                    \
	ADDQ R11, DI;                    \
	DECQ R12;                        \
	JNZ  lkx;                        \
	ADDQ 0(SP), SI;                  \
	ADDQ 0(SP), DI;                  \
	ADDQ 8(SP), BX;                  \
	DECQ R10;                        \
	JNZ  lky

// DW_ACT applies the activation to the tile's accumulators.
#define DW_ACT(ACCS, lclamp, lhsig, lhsw, ldone) \
	MOVQ DW_KIND, R10;                  \
	CMPQ R10, $const_f32ActClamp;       \
	JEQ  lclamp;                        \
	CMPQ R10, $const_f32ActHardSigmoid; \
	JEQ  lhsig;                         \
	CMPQ R10, $const_f32ActHardSwish;   \
	JEQ  lhsw;                          \
	JMP  ldone;                         \
lclamp:                                 \
	VBROADCASTSS DW_LO, Y9;             \
	VBROADCASTSS DW_HI, Y10;            \
	ACCS(CLAMPD);                       \
	JMP  ldone;                         \
lhsig:                                  \
	VBROADCASTSS DW_ALPHA, Y9;          \
	VBROADCASTSS DW_BETA, Y10;          \
	VXORPS       Y11, Y11, Y11;         \
	VMOVUPS      dwOnes<>(SB), Y12;     \
	ACCS(HSIGD);                        \
	JMP  ldone;                         \
lhsw:                                   \
	VBROADCASTSS DW_ALPHA, Y9;          \
	VBROADCASTSS DW_BETA, Y10;          \
	VXORPS       Y11, Y11, Y11;         \
	VMOVUPS      dwOnes<>(SB), Y12;     \
	ACCS(HSWD);                         \
ldone:

// Stores of the tile's outputs: pixel j at R14 + j·DX + AX (DX = 4·C).
#define STORE8 \
	LEAQ    (R14)(AX*1), R10;  \
	VMOVUPS Y0, (R10);         \
	VMOVUPS Y1, (R10)(DX*1);   \
	VMOVUPS Y2, (R10)(DX*2);   \
	LEAQ    (R10)(DX*2), R12;  \
	ADDQ    DX, R12;           \
	VMOVUPS Y3, (R12);         \
	VMOVUPS Y4, (R12)(DX*1);   \
	VMOVUPS Y5, (R12)(DX*2);   \
	LEAQ    (R12)(DX*2), R12;  \
	ADDQ    DX, R12;           \
	VMOVUPS Y6, (R12);         \
	VMOVUPS Y7, (R12)(DX*1)

#define STORE4 \
	LEAQ    (R14)(AX*1), R10;  \
	VMOVUPS Y0, (R10);         \
	VMOVUPS Y1, (R10)(DX*1);   \
	VMOVUPS Y2, (R10)(DX*2);   \
	LEAQ    (R10)(DX*2), R12;  \
	ADDQ    DX, R12;           \
	VMOVUPS Y3, (R12)

#define STORE1 \
	VMOVUPS Y0, (R14)(AX*1)

// DW_CNEXT moves to the next channel block of 8; the last block starts at
// C-8 and may overlap the one before.
#define DW_CNEXT(lblock, ldone) \
	ADDQ $32, AX;     \
	CMPQ AX, DX;      \
	JGE  ldone;       \
	MOVQ DX, R10;     \
	SUBQ $32, R10;    \
	CMPQ AX, R10;     \
	JLE  lblock;      \
	MOVQ R10, AX;     \
	JMP  lblock;      \
ldone:

// func dwconvF32_kxk_avx2(p *dwconvF32Args)
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
TEXT ·dwconvF32_kxk_avx2(SB), NOSPLIT, $24-8
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
