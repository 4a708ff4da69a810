//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Float32 GEMM strip kernel for arm64 NEON (see gemmF32Args in
// asmargs_f32.go for the contract and gemm_f32_arm64.go for the Go side).
//
// The Go assembler has FMLA only in its vector-by-vector form, so the
// instructions below that it lacks are encoded with WORD; each macro names
// the instruction and its operands are register numbers.

// FMLA Vd.4S, Vn.4S, Vm.S[i]   (Vd += Vn · Vm[i])
#define FMLAE(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

// FMAX, FMIN, FMUL Vd.4S, Vn.4S, Vm.4S (FMAX/FMIN return NaN if either is NaN).
#define FMAXV(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMINV(d, n, m) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMULV(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))

// One k step of the 8×8 tile: row i accumulates in V(2i) (columns 0–3) and
// V(2i+1) (4–7); the B row is in V(b), V(b+1); A[i][k..k+3] in V(16+i),
// lane kk.
#define FMLA_ROWS(kk, b) \
	FMLAE(0, b, 16, kk);   \
	FMLAE(1, b+1, 16, kk); \
	FMLAE(2, b, 17, kk);   \
	FMLAE(3, b+1, 17, kk); \
	FMLAE(4, b, 18, kk);   \
	FMLAE(5, b+1, 18, kk); \
	FMLAE(6, b, 19, kk);   \
	FMLAE(7, b+1, 19, kk); \
	FMLAE(8, b, 20, kk);   \
	FMLAE(9, b+1, 20, kk); \
	FMLAE(10, b, 21, kk);  \
	FMLAE(11, b+1, 21, kk); \
	FMLAE(12, b, 22, kk);  \
	FMLAE(13, b+1, 22, kk); \
	FMLAE(14, b, 23, kk);  \
	FMLAE(15, b+1, 23, kk)

#define ACC16(M) M(0); M(1); M(2); M(3); M(4); M(5); M(6); M(7); M(8); M(9); M(10); M(11); M(12); M(13); M(14); M(15)

// Epilogue steps on accumulator r (a register number). CLAMPN: V16 = lo,
// V17 = hi. HSIGT leaves clamp(beta + alpha·x, 0, 1) in V20, with V16 =
// alpha, V17 = beta, V18 = 0, V19 = 1 (the FMLA is the vector form,
// V20 += V16 · Vr); HSIGN moves it to Vr (ORR), HSWN multiplies Vr by it.
#define CLAMPN(r) FMAXV(r, r, 16); FMINV(r, r, 17)
#define HSIGT(r) \
	VMOV V17.B16, V20.B16;                                  \
	WORD $(0x4E20CC00 | ((r)<<16) | (16<<5) | 20);          \
	FMAXV(20, 20, 18);                                      \
	FMINV(20, 20, 19)
#define HSIGN(r) HSIGT(r); WORD $(0x4EA01C00 | (20<<16) | (20<<5) | (r))
#define HSWN(r) HSIGT(r); FMULV(r, r, 20)

// func gemmF32_8x8_neon(p *gemmF32Args)
//
// 8×8 register tile: V0–V15 accumulators, V16–V23 four k values of each A
// row (FMLA by element), V24–V31 four rows of the 8-wide B panel. Rows go
// in strips of 8 (in a partial last strip the missing rows repeat the last
// one and are not stored), K in steps of 4 then single steps, columns in
// whole 8-wide panels.
//
// General registers: R19 = p; R22 = rows left, R23 = A and R24 = C of the
// strip; R16 = mr; R0–R7 A rows; R8 = B; R9 = C row; R10 = bias column
// (0 when none); R11 = columns left; R12, R13 = k counters; R14 = ldc;
// R15 = bps; R20 = C column; R21 = B panel; R17 temporary.
TEXT ·gemmF32_8x8_neon(SB), NOSPLIT, $0-8
	MOVD p+0(FP), R19
	MOVD gemmF32Args_m(R19), R22
	MOVD gemmF32Args_a(R19), R23
	MOVD gemmF32Args_c(R19), R24
	MOVD gemmF32Args_ldc(R19), R14
	MOVD gemmF32Args_bps(R19), R15

strip:
	MOVD $8, R16
	CMP  $8, R22
	CSEL LT, R22, R16, R16
	MOVD R24, R20
	MOVD gemmF32Args_b(R19), R21
	MOVD gemmF32Args_bias(R19), R10
	MOVD gemmF32Args_n(R19), R11

panel:
	CBZ  R11, nextstrip
	MOVD gemmF32Args_lda(R19), R17
	MOVD R23, R0
	ADD  R17, R0, R1
	CMP  $2, R16
	CSEL LT, R0, R1, R1
	ADD  R17, R1, R2
	CMP  $3, R16
	CSEL LT, R1, R2, R2
	ADD  R17, R2, R3
	CMP  $4, R16
	CSEL LT, R2, R3, R3
	ADD  R17, R3, R4
	CMP  $5, R16
	CSEL LT, R3, R4, R4
	ADD  R17, R4, R5
	CMP  $6, R16
	CSEL LT, R4, R5, R5
	ADD  R17, R5, R6
	CMP  $7, R16
	CSEL LT, R5, R6, R6
	ADD  R17, R6, R7
	CMP  $8, R16
	CSEL LT, R6, R7, R7
	MOVD R21, R8

	// Accumulators start from C (later K blocks), the bias, or zero.
	MOVD gemmF32Args_loadC(R19), R17
	CBNZ R17, loadc
	CBZ  R10, zero
	VLD1 (R10), [V0.S4, V1.S4]
	VMOV V0.B16, V2.B16
	VMOV V1.B16, V3.B16
	VMOV V0.B16, V4.B16
	VMOV V1.B16, V5.B16
	VMOV V0.B16, V6.B16
	VMOV V1.B16, V7.B16
	VMOV V0.B16, V8.B16
	VMOV V1.B16, V9.B16
	VMOV V0.B16, V10.B16
	VMOV V1.B16, V11.B16
	VMOV V0.B16, V12.B16
	VMOV V1.B16, V13.B16
	VMOV V0.B16, V14.B16
	VMOV V1.B16, V15.B16
	B    kstart

zero:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	B    kstart

loadc:
	// Rows past mr start at zero (they are never stored).
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	MOVD R20, R9
	VLD1 (R9), [V0.S4, V1.S4]
	CMP  $2, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V2.S4, V3.S4]
	CMP  $3, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V4.S4, V5.S4]
	CMP  $4, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V6.S4, V7.S4]
	CMP  $5, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V8.S4, V9.S4]
	CMP  $6, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V10.S4, V11.S4]
	CMP  $7, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V12.S4, V13.S4]
	CMP  $8, R16
	BLT  kstart
	ADD  R14, R9
	VLD1 (R9), [V14.S4, V15.S4]

kstart:
	MOVD gemmF32Args_kc(R19), R12
	AND  $3, R12, R13
	LSR  $2, R12, R12
	CBZ  R12, ktail

kloop:
	VLD1.P 16(R0), [V16.S4]
	VLD1.P 16(R1), [V17.S4]
	VLD1.P 16(R2), [V18.S4]
	VLD1.P 16(R3), [V19.S4]
	VLD1.P 16(R4), [V20.S4]
	VLD1.P 16(R5), [V21.S4]
	VLD1.P 16(R6), [V22.S4]
	VLD1.P 16(R7), [V23.S4]
	VLD1.P 64(R8), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P 64(R8), [V28.S4, V29.S4, V30.S4, V31.S4]
	FMLA_ROWS(0, 24)
	FMLA_ROWS(1, 26)
	FMLA_ROWS(2, 28)
	FMLA_ROWS(3, 30)
	SUBS $1, R12, R12
	BNE  kloop

ktail:
	CBZ R13, epilogue

ktailloop:
	FMOVS.P 4(R0), F16
	FMOVS.P 4(R1), F17
	FMOVS.P 4(R2), F18
	FMOVS.P 4(R3), F19
	FMOVS.P 4(R4), F20
	FMOVS.P 4(R5), F21
	FMOVS.P 4(R6), F22
	FMOVS.P 4(R7), F23
	VLD1.P  32(R8), [V24.S4, V25.S4]
	FMLA_ROWS(0, 24)
	SUBS    $1, R13, R13
	BNE     ktailloop

epilogue:
	MOVD gemmF32Args_act+f32ActArgs_kind(R19), R17
	CMP  $const_f32ActClamp, R17
	BEQ  clamp
	CMP  $const_f32ActHardSigmoid, R17
	BEQ  hsig
	CMP  $const_f32ActHardSwish, R17
	BEQ  hswish
	B    store

clamp:
	ADD   $(gemmF32Args_act+f32ActArgs_lo), R19, R17
	VLD1R (R17), [V16.S4]
	ADD   $(gemmF32Args_act+f32ActArgs_hi), R19, R17
	VLD1R (R17), [V17.S4]
	ACC16(CLAMPN)
	B     store

hsig:
	ADD   $(gemmF32Args_act+f32ActArgs_alpha), R19, R17
	VLD1R (R17), [V16.S4]
	ADD   $(gemmF32Args_act+f32ActArgs_beta), R19, R17
	VLD1R (R17), [V17.S4]
	VEOR  V18.B16, V18.B16, V18.B16
	FMOVS $1.0, F19
	VDUP  V19.S[0], V19.S4
	ACC16(HSIGN)
	B     store

hswish:
	ADD   $(gemmF32Args_act+f32ActArgs_alpha), R19, R17
	VLD1R (R17), [V16.S4]
	ADD   $(gemmF32Args_act+f32ActArgs_beta), R19, R17
	VLD1R (R17), [V17.S4]
	VEOR  V18.B16, V18.B16, V18.B16
	FMOVS $1.0, F19
	VDUP  V19.S[0], V19.S4
	ACC16(HSWN)

store:
	MOVD R20, R9
	VST1 [V0.S4, V1.S4], (R9)
	CMP  $2, R16
	BLT  next
	ADD  R14, R9
	VST1 [V2.S4, V3.S4], (R9)
	CMP  $3, R16
	BLT  next
	ADD  R14, R9
	VST1 [V4.S4, V5.S4], (R9)
	CMP  $4, R16
	BLT  next
	ADD  R14, R9
	VST1 [V6.S4, V7.S4], (R9)
	CMP  $5, R16
	BLT  next
	ADD  R14, R9
	VST1 [V8.S4, V9.S4], (R9)
	CMP  $6, R16
	BLT  next
	ADD  R14, R9
	VST1 [V10.S4, V11.S4], (R9)
	CMP  $7, R16
	BLT  next
	ADD  R14, R9
	VST1 [V12.S4, V13.S4], (R9)
	CMP  $8, R16
	BLT  next
	ADD  R14, R9
	VST1 [V14.S4, V15.S4], (R9)

next:
	ADD  R15, R21
	ADD  $32, R20
	CBZ  R10, nobias
	ADD  $32, R10

nobias:
	SUB  $8, R11
	B    panel

nextstrip:
	MOVD gemmF32Args_lda(R19), R17
	ADD  R17<<3, R23
	ADD  R14<<3, R24
	SUBS $8, R22
	BGT  strip
	RET
