//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Float32 depthwise kernel for arm64 NEON (see dwconvF32Args in
// asmargs_f32.go for the contract and dwconv_f32_arm64.go for the Go side).
// Instructions the Go assembler lacks are encoded with WORD; operands of
// those macros are register numbers.

// FMAX, FMIN, FMUL Vd.4S, Vn.4S, Vm.4S; ORR Vd.16B, Vn.16B, Vn.16B (a move);
// FMLA Vd.4S, Vn.4S, Vm.4S.
#define FMAXV(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMINV(d, n, m) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMULV(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define MOVV(d, n) WORD $(0x4EA01C00 | ((n)<<16) | ((n)<<5) | (d))
#define FMLAV(d, n, m) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))

// Accumulators: pixel j of the tile, channels c0..c0+3 in V(2j) and
// c0+4..c0+7 in V(2j+1).
#define ACC8(M) M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7); M(8); M(9); M(10); M(11); M(12); M(13); M(14); M(15)
#define ACC4(M) M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7)
#define ACC1(M) M(0); M(1)

#define ZERO(r) WORD $(0x6E201C00 | ((r)<<16) | ((r)<<5) | (r))
#define FROM30(r) MOVV(r, 30)

// Epilogue steps: CLAMPD with V26 = lo, V27 = hi; HSIGT leaves
// clamp(beta + alpha·x, 0, 1) in V30 with V26 = alpha, V27 = beta,
// V28 = 0, V29 = 1; HSIGD moves it to Vr, HSWD multiplies Vr by it.
#define CLAMPD(r) FMAXV(r, r, 26); FMINV(r, r, 27)
#define HSIGT(r) MOVV(30, 27); FMLAV(30, r, 26); FMAXV(30, 30, 28); FMINV(30, 30, 29)
#define HSIGD(r) HSIGT(r); MOVV(r, 30)
#define HSWD(r) HSIGT(r); FMULV(r, r, 30)

// Taps: weights of the channel block in V16, V17; pixel j's input loaded
// from R6, which moves by R2 = pixStep per pixel.
#define XPIX(a0, a1, t0, t1) \
	VLD1.P (R6)(R2), [t0.S4, t1.S4]; \
	VFMLA  V16.S4, t0.S4, a0.S4;     \
	VFMLA  V17.S4, t1.S4, a1.S4

#define TAP8 \
	VLD1 (R7), [V16.S4, V17.S4];      \
	XPIX(V0, V1, V18, V19);           \
	XPIX(V2, V3, V20, V21);           \
	XPIX(V4, V5, V22, V23);           \
	XPIX(V6, V7, V24, V25);           \
	XPIX(V8, V9, V18, V19);           \
	XPIX(V10, V11, V20, V21);         \
	XPIX(V12, V13, V22, V23);         \
	XPIX(V14, V15, V24, V25)

#define TAP4 \
	VLD1 (R7), [V16.S4, V17.S4];      \
	XPIX(V0, V1, V18, V19);           \
	XPIX(V2, V3, V20, V21);           \
	XPIX(V4, V5, V22, V23);           \
	XPIX(V6, V7, V24, V25)

#define TAP1 \
	VLD1 (R7), [V16.S4, V17.S4];      \
	XPIX(V0, V1, V18, V19)

// DW_INIT starts the accumulators at bias[c0:c0+8] (R5 = 4·c0) or zero.
#define DW_INIT(ACCS, lzero, ldone) \
	MOVD dwconvF32Args_bias(R19), R14; \
	CBZ  R14, lzero;                   \
	ADD  R5, R14;                      \
	VLD1 (R14), [V30.S4, V31.S4];      \
	ACCS(FROMB);                       \
	B    ldone;                        \
lzero:                                 \
	ACCS(ZERO);                        \
ldone:

// FROMB copies the bias (V30, V31) into accumulator r by parity.
#define FROMB(r) MOVV(r, 30 + ((r)&1))

// DW_TAPS runs the kh×kw taps of channel block R5 for the tile at R0.
// After a tap the input pointer is back by R13 = tile·pixStep - tapX;
// after a kernel row the pointers move by R10 (input) and R11 (weights).
#define DW_TAPS(TAP, lky, lkx) \
	ADD  R5, R0, R6;                   \
	MOVD dwconvF32Args_w(R19), R7;     \
	ADD  R5, R7;                       \
	MOVD dwconvF32Args_kh(R19), R8;    \
lky:                                   \
	MOVD dwconvF32Args_kw(R19), R9;    \
lkx:                                   \
	TAP;                               \
	SUB  R13, R6;                      \
	ADD  R4, R7;                       \
	SUBS $1, R9, R9;                   \
	BNE  lkx;                          \
	ADD  R10, R6;                      \
	ADD  R11, R7;                      \
	SUBS $1, R8, R8;                   \
	BNE  lky

// DW_ACT applies the activation to the tile's accumulators.
#define DW_ACT(ACCS, lclamp, lhsig, lhsw, ldone) \
	MOVD dwconvF32Args_act+f32ActArgs_kind(R19), R14;          \
	CMP  $const_f32ActClamp, R14;                              \
	BEQ  lclamp;                                               \
	CMP  $const_f32ActHardSigmoid, R14;                        \
	BEQ  lhsig;                                                \
	CMP  $const_f32ActHardSwish, R14;                          \
	BEQ  lhsw;                                                 \
	B    ldone;                                                \
lclamp:                                                        \
	ADD   $(dwconvF32Args_act+f32ActArgs_lo), R19, R14;        \
	VLD1R (R14), [V26.S4];                                     \
	ADD   $(dwconvF32Args_act+f32ActArgs_hi), R19, R14;        \
	VLD1R (R14), [V27.S4];                                     \
	ACCS(CLAMPD);                                              \
	B     ldone;                                               \
lhsig:                                                         \
	ADD   $(dwconvF32Args_act+f32ActArgs_alpha), R19, R14;     \
	VLD1R (R14), [V26.S4];                                     \
	ADD   $(dwconvF32Args_act+f32ActArgs_beta), R19, R14;      \
	VLD1R (R14), [V27.S4];                                     \
	ZERO(28);                                                  \
	FMOVS $1.0, F29;                                           \
	VDUP  V29.S[0], V29.S4;                                    \
	ACCS(HSIGD);                                               \
	B     ldone;                                               \
lhsw:                                                          \
	ADD   $(dwconvF32Args_act+f32ActArgs_alpha), R19, R14;     \
	VLD1R (R14), [V26.S4];                                     \
	ADD   $(dwconvF32Args_act+f32ActArgs_beta), R19, R14;      \
	VLD1R (R14), [V27.S4];                                     \
	ZERO(28);                                                  \
	FMOVS $1.0, F29;                                           \
	VDUP  V29.S[0], V29.S4;                                    \
	ACCS(HSWD);                                                \
ldone:

// Stores: pixel j at R1 + j·4·C + R5, through R14 moving by R4 = 4·C.
#define STORE8 \
	ADD     R5, R1, R14;                  \
	VST1.P  [V0.S4, V1.S4], (R14)(R4);    \
	VST1.P  [V2.S4, V3.S4], (R14)(R4);    \
	VST1.P  [V4.S4, V5.S4], (R14)(R4);    \
	VST1.P  [V6.S4, V7.S4], (R14)(R4);    \
	VST1.P  [V8.S4, V9.S4], (R14)(R4);    \
	VST1.P  [V10.S4, V11.S4], (R14)(R4);  \
	VST1.P  [V12.S4, V13.S4], (R14)(R4);  \
	VST1.P  [V14.S4, V15.S4], (R14)(R4)

#define STORE4 \
	ADD     R5, R1, R14;                  \
	VST1.P  [V0.S4, V1.S4], (R14)(R4);    \
	VST1.P  [V2.S4, V3.S4], (R14)(R4);    \
	VST1.P  [V4.S4, V5.S4], (R14)(R4);    \
	VST1.P  [V6.S4, V7.S4], (R14)(R4)

#define STORE1 \
	ADD     R5, R1, R14;                  \
	VST1    [V0.S4, V1.S4], (R14)

// DW_CNEXT moves to the next channel block of 8; the last block starts at
// C-8 and may overlap the one before.
#define DW_CNEXT(lblock, ldone) \
	ADD  $32, R5;      \
	CMP  R4, R5;       \
	BGE  ldone;        \
	SUB  $32, R4, R14; \
	CMP  R14, R5;      \
	BLE  lblock;       \
	MOVD R14, R5;      \
	B    lblock;       \
ldone:

// One pixel × 4 channel blocks (32 channels): accumulators V0–V7, inputs
// V8–V15, weights V16–V23; the input pointer moves on by pixStep like XPIX.
#define ACC1Q(M) M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7)

#define TAP1Q \
	VLD1  (R7), [V16.S4, V17.S4, V18.S4, V19.S4];   \
	ADD   $64, R7, R15;                             \
	VLD1  (R15), [V20.S4, V21.S4, V22.S4, V23.S4];  \
	VLD1  (R6), [V8.S4, V9.S4, V10.S4, V11.S4];     \
	ADD   $64, R6, R15;                             \
	VLD1  (R15), [V12.S4, V13.S4, V14.S4, V15.S4];  \
	ADD   R2, R6;                                   \
	VFMLA V16.S4, V8.S4, V0.S4;                     \
	VFMLA V17.S4, V9.S4, V1.S4;                     \
	VFMLA V18.S4, V10.S4, V2.S4;                    \
	VFMLA V19.S4, V11.S4, V3.S4;                    \
	VFMLA V20.S4, V12.S4, V4.S4;                    \
	VFMLA V21.S4, V13.S4, V5.S4;                    \
	VFMLA V22.S4, V14.S4, V6.S4;                    \
	VFMLA V23.S4, V15.S4, V7.S4

#define DW_INIT1Q(lzero, ldone) \
	MOVD dwconvF32Args_bias(R19), R14;              \
	CBZ  R14, lzero;                                \
	ADD  R5, R14;                                   \
	VLD1 (R14), [V0.S4, V1.S4, V2.S4, V3.S4];       \
	ADD  $64, R14;                                  \
	VLD1 (R14), [V4.S4, V5.S4, V6.S4, V7.S4];       \
	B    ldone;                                     \
lzero:                                              \
	ACC1Q(ZERO);                                    \
ldone:

#define STORE1Q \
	ADD  R5, R1, R14;                               \
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R14);       \
	ADD  $64, R14;                                  \
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R14)

// func dwconvF32_kxk_8x8_neon(p *dwconvF32Args)
//
// Depthwise convolution over a run of output pixels with any tap
// rectangle, stride and dilation. Tiles of 8 pixels × 8 channels (V0–V15),
// then 4 pixels, then single pixels (4 blocks at a time while they fit);
// channels in blocks of 8, the last block overlapping (c ≥ 8).
//
// General registers: R19 = p; R0 = input of the tile's first pixel, R1 =
// its output; R2 = pixStep; R3 = tapX; R4 = 4·C; R5 = 4·c0; R6, R7 = input
// and weight pointers of the tap; R8, R9 = kernel row and column counters;
// R10 = tapY - kw·tapX; R11 = wRow - kw·4·C; R12 = pixels left;
// R13 = tile·pixStep - tapX; R14, R15 temporaries.
TEXT ·dwconvF32_kxk_8x8_neon(SB), NOSPLIT, $0-8
	MOVD p+0(FP), R19
	MOVD dwconvF32Args_x(R19), R0
	MOVD dwconvF32Args_y(R19), R1
	MOVD dwconvF32Args_pixStep(R19), R2
	MOVD dwconvF32Args_tapX(R19), R3
	MOVD dwconvF32Args_c(R19), R4
	LSL  $2, R4
	MOVD dwconvF32Args_kw(R19), R14
	MUL  R3, R14, R10
	MOVD dwconvF32Args_tapY(R19), R15
	SUB  R10, R15, R10
	MUL  R4, R14, R11
	MOVD dwconvF32Args_wRow(R19), R15
	SUB  R11, R15, R11
	MOVD dwconvF32Args_n(R19), R12

pix:
	CMP $8, R12
	BGE tile8
	CMP $4, R12
	BGE tile4
	CBNZ R12, tile1
	RET

tile8:
	LSL  $3, R2, R13
	SUB  R3, R13
	MOVD $0, R5

c8:
	DW_INIT(ACC8, z8, i8)
	DW_TAPS(TAP8, ky8, kx8)
	DW_ACT(ACC8, cl8, hs8, hw8, a8)
	STORE8
	DW_CNEXT(c8, n8)
	ADD R2<<3, R0
	ADD R4<<3, R1
	SUB $8, R12
	B   pix

tile4:
	LSL  $2, R2, R13
	SUB  R3, R13
	MOVD $0, R5

c4:
	DW_INIT(ACC4, z4, i4)
	DW_TAPS(TAP4, ky4, kx4)
	DW_ACT(ACC4, cl4, hs4, hw4, a4)
	STORE4
	DW_CNEXT(c4, n4)
	ADD R2<<2, R0
	ADD R4<<2, R1
	SUB $4, R12
	B   pix

tile1:
	SUB  R3, R2, R13
	MOVD $0, R5

q1:
	// Blocks of 4·8 channels while they fit, then single blocks.
	ADD  $128, R5, R14
	CMP  R4, R14
	BGT  c1pre
	DW_INIT1Q(zq, iq)
	DW_TAPS(TAP1Q, kyq, kxq)
	DW_ACT(ACC1Q, clq, hsq, hwq, aq)
	STORE1Q
	ADD  $128, R5
	CMP  R4, R5
	BEQ  n1
	B    q1

c1pre:
	// Fewer than 4 blocks left: if less than one, back up to overlap.
	ADD  $32, R5, R14
	CMP  R4, R14
	BLE  c1
	SUB  $32, R4, R5

c1:
	DW_INIT(ACC1, z1, i1)
	DW_TAPS(TAP1, ky1, kx1)
	DW_ACT(ACC1, cl1, hs1, hw1, a1)
	STORE1
	DW_CNEXT(c1, n1)
	ADD R2, R0
	ADD R4, R1
	SUB $1, R12
	B   pix
