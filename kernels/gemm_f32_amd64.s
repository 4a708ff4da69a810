//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Eight float32 ones for HSWISHM.
DATA f32Ones<>+0(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+8(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+16(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+24(SB)/8, $0x3f8000003f800000
GLOBL f32Ones<>(SB), RODATA|NOPTR, $32

// Float32 GEMM strip kernels for amd64 (see gemmF32Args in asmargs_f32.go
// for the contract and gemm_f32_amd64.go for the Go side). Each kernel goes
// down the rows in strips of 6 and, per strip, across the columns in whole
// panels, then at most one narrower path (half or quarter panel); each path
// is written out in full.

#define ARG_ACT_KIND gemmF32Args_act+f32ActArgs_kind(R13)
#define ARG_ACT_LO gemmF32Args_act+f32ActArgs_lo(R13)
#define ARG_ACT_HI gemmF32Args_act+f32ActArgs_hi(R13)
#define ARG_ACT_ALPHA gemmF32Args_act+f32ActArgs_alpha(R13)
#define ARG_ACT_BETA gemmF32Args_act+f32ActArgs_beta(R13)

// Epilogue steps on accumulator r with constants in registers: lo, hi (or
// alpha, beta), zero, one, and a temporary t. The clamps take r as the
// second source, so a NaN stays NaN (MAXPS/MINPS return the second source
// if either is NaN).
#define CLAMP(r, lo, hi) \
	VMAXPS r, lo, r; \
	VMINPS r, hi, r

#define HSIG(r, al, be, zero, one) \
	VFMADD213PS be, al, r; \
	VMAXPS      r, zero, r; \
	VMINPS      r, one, r

#define HSWISH(r, al, be, zero, one, t) \
	VMOVAPS     r, t;        \
	VFMADD213PS be, al, t;   \
	VMAXPS      t, zero, t;  \
	VMINPS      t, one, t;   \
	VMULPS      t, r, r

// HSWISHM takes the ones from memory where no register is left (the 6×16
// AVX2 tile). A NaN clamps to 1 there, but then x is NaN and so is x·1.
#define HSWISHM(r, al, be, zero, t) \
	VMOVAPS     r, t;                  \
	VFMADD213PS be, al, t;             \
	VMAXPS      t, zero, t;            \
	VMINPS      f32Ones<>(SB), t, t;   \
	VMULPS      t, r, r

// One row of a tile: broadcast A[i][k], one or two FMAs.
#define FMA2(ptr, acc0, acc1, b0, b1, t) \
	VBROADCASTSS (ptr)(AX*1), t; \
	VFMADD231PS  b0, t, acc0;    \
	VFMADD231PS  b1, t, acc1

#define FMA1(ptr, acc, b0, t) \
	VBROADCASTSS (ptr)(AX*1), t; \
	VFMADD231PS  b0, t, acc


// func gemmF32_6x16_avx2(p *gemmF32Args)
//
// 6×16 register tile: row i accumulates in Y(2i) (columns 0–7) and Y(2i+1)
// (8–15); Y12, Y13 hold a row of the 16-wide B panel, Y14, Y15 the
// broadcast A values. Per strip: whole panels, then one 8-wide half panel
// (the even accumulators) if n mod 16 = 8.
//
// General registers: R13 = p; SI DI R8 R9 R10 R11 = &A[i][kc] of the strip;
// CX = -4·kc; AX = k index in bytes (-4·kc … 0); BX = B; DX = C column;
// R12 = columns left; R14 = bias column (0 when there is no bias). Frame:
// 0(SP) rows left, 8(SP) A and 16(SP) C of the strip, 24(SP) mr.
TEXT ·gemmF32_6x16_avx2(SB), NOSPLIT, $32-8
	MOVQ p+0(FP), R13
	MOVQ gemmF32Args_m(R13), AX
	MOVQ AX, 0(SP)
	MOVQ gemmF32Args_a(R13), AX
	MOVQ AX, 8(SP)
	MOVQ gemmF32Args_c(R13), AX
	MOVQ AX, 16(SP)

avx2_strip:
	// mr = min(rows left, 6); rows mr..5 repeat row mr-1.
	MOVQ    0(SP), BX
	MOVQ    $6, AX
	CMPQ    BX, AX
	CMOVQLT BX, AX
	MOVQ    AX, 24(SP)
	MOVQ    gemmF32Args_lda(R13), CX
	MOVQ    8(SP), SI
	LEAQ    (SI)(CX*1), DI
	CMPQ    AX, $2
	CMOVQLT SI, DI
	LEAQ    (DI)(CX*1), R8
	CMPQ    AX, $3
	CMOVQLT DI, R8
	LEAQ    (R8)(CX*1), R9
	CMPQ    AX, $4
	CMOVQLT R8, R9
	LEAQ    (R9)(CX*1), R10
	CMPQ    AX, $5
	CMOVQLT R9, R10
	LEAQ    (R10)(CX*1), R11
	CMPQ    AX, $6
	CMOVQLT R10, R11
	MOVQ    gemmF32Args_kc(R13), CX
	SHLQ    $2, CX
	ADDQ    CX, SI
	ADDQ    CX, DI
	ADDQ    CX, R8
	ADDQ    CX, R9
	ADDQ    CX, R10
	ADDQ    CX, R11
	NEGQ    CX
	MOVQ    gemmF32Args_b(R13), BX
	MOVQ    16(SP), DX
	MOVQ    gemmF32Args_n(R13), R12
	MOVQ    gemmF32Args_bias(R13), R14

avx2_p16:
	CMPQ R12, $16
	JLT  avx2_p16next
	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  avx2_p16load
	TESTQ R14, R14
	JZ   avx2_p16zero
	VMOVUPS (R14), Y0
	VMOVUPS 32(R14), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	VMOVAPS Y0, Y8
	VMOVAPS Y1, Y9
	VMOVAPS Y0, Y10
	VMOVAPS Y1, Y11
	JMP  avx2_p16k

avx2_p16load:
	// Rows past mr start at zero (they are never stored).
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VXORPS  Y4, Y4, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7
	VXORPS  Y8, Y8, Y8
	VXORPS  Y9, Y9, Y9
	VXORPS  Y10, Y10, Y10
	VXORPS  Y11, Y11, Y11
	MOVQ    DX, AX
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	CMPQ    24(SP), $2
	JLT     avx2_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y2
	VMOVUPS 32(AX), Y3
	CMPQ    24(SP), $3
	JLT     avx2_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	CMPQ    24(SP), $4
	JLT     avx2_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y6
	VMOVUPS 32(AX), Y7
	CMPQ    24(SP), $5
	JLT     avx2_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	CMPQ    24(SP), $6
	JLT     avx2_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y10
	VMOVUPS 32(AX), Y11
	JMP     avx2_p16k

avx2_p16zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

avx2_p16k:
	MOVQ CX, AX

avx2_p16loop:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	FMA2(SI, Y0, Y1, Y12, Y13, Y14)
	FMA2(DI, Y2, Y3, Y12, Y13, Y15)
	FMA2(R8, Y4, Y5, Y12, Y13, Y14)
	FMA2(R9, Y6, Y7, Y12, Y13, Y15)
	FMA2(R10, Y8, Y9, Y12, Y13, Y14)
	FMA2(R11, Y10, Y11, Y12, Y13, Y15)
	ADDQ $64, BX
	ADDQ $4, AX
	JNZ  avx2_p16loop

	// Epilogue: activation, then the first mr rows.
	MOVQ ARG_ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  avx2_p16clamp
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  avx2_p16hsig
	CMPQ AX, $const_f32ActHardSwish
	JEQ  avx2_p16hswish
	JMP  avx2_p16store

avx2_p16clamp:
	VBROADCASTSS ARG_ACT_LO, Y12
	VBROADCASTSS ARG_ACT_HI, Y13
	CLAMP(Y0, Y12, Y13)
	CLAMP(Y1, Y12, Y13)
	CLAMP(Y2, Y12, Y13)
	CLAMP(Y3, Y12, Y13)
	CLAMP(Y4, Y12, Y13)
	CLAMP(Y5, Y12, Y13)
	CLAMP(Y6, Y12, Y13)
	CLAMP(Y7, Y12, Y13)
	CLAMP(Y8, Y12, Y13)
	CLAMP(Y9, Y12, Y13)
	CLAMP(Y10, Y12, Y13)
	CLAMP(Y11, Y12, Y13)
	JMP avx2_p16store

avx2_p16hsig:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	HSIG(Y0, Y12, Y13, Y14, Y15)
	HSIG(Y1, Y12, Y13, Y14, Y15)
	HSIG(Y2, Y12, Y13, Y14, Y15)
	HSIG(Y3, Y12, Y13, Y14, Y15)
	HSIG(Y4, Y12, Y13, Y14, Y15)
	HSIG(Y5, Y12, Y13, Y14, Y15)
	HSIG(Y6, Y12, Y13, Y14, Y15)
	HSIG(Y7, Y12, Y13, Y14, Y15)
	HSIG(Y8, Y12, Y13, Y14, Y15)
	HSIG(Y9, Y12, Y13, Y14, Y15)
	HSIG(Y10, Y12, Y13, Y14, Y15)
	HSIG(Y11, Y12, Y13, Y14, Y15)
	JMP avx2_p16store

avx2_p16hswish:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	HSWISHM(Y0, Y12, Y13, Y14, Y15)
	HSWISHM(Y1, Y12, Y13, Y14, Y15)
	HSWISHM(Y2, Y12, Y13, Y14, Y15)
	HSWISHM(Y3, Y12, Y13, Y14, Y15)
	HSWISHM(Y4, Y12, Y13, Y14, Y15)
	HSWISHM(Y5, Y12, Y13, Y14, Y15)
	HSWISHM(Y6, Y12, Y13, Y14, Y15)
	HSWISHM(Y7, Y12, Y13, Y14, Y15)
	HSWISHM(Y8, Y12, Y13, Y14, Y15)
	HSWISHM(Y9, Y12, Y13, Y14, Y15)
	HSWISHM(Y10, Y12, Y13, Y14, Y15)
	HSWISHM(Y11, Y12, Y13, Y14, Y15)

avx2_p16store:
	MOVQ    DX, AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	CMPQ    24(SP), $2
	JLT     avx2_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, 32(AX)
	CMPQ    24(SP), $3
	JLT     avx2_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y4, (AX)
	VMOVUPS Y5, 32(AX)
	CMPQ    24(SP), $4
	JLT     avx2_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y6, (AX)
	VMOVUPS Y7, 32(AX)
	CMPQ    24(SP), $5
	JLT     avx2_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, 32(AX)
	CMPQ    24(SP), $6
	JLT     avx2_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y10, (AX)
	VMOVUPS Y11, 32(AX)

avx2_p16adv:
	// Next step: BX went 64·kc bytes down the panel; a whole panel moves
	// on by bps, a narrower path by its width within the panel.
	MOVQ CX, AX
	SHLQ $4, AX
	ADDQ AX, BX
	ADDQ gemmF32Args_bps(R13), BX
	ADDQ $64, DX
	TESTQ R14, R14
	JZ   avx2_p16nobias
	ADDQ $64, R14

avx2_p16nobias:
	SUBQ $16, R12
	JMP  avx2_p16

avx2_p16next:
avx2_p8:
	CMPQ R12, $8
	JLT  avx2_p8next
	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  avx2_p8load
	TESTQ R14, R14
	JZ   avx2_p8zero
	VMOVUPS (R14), Y0
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y8
	VMOVAPS Y0, Y10
	JMP  avx2_p8k

avx2_p8load:
	// Rows past mr start at zero (they are never stored).
	VXORPS  Y2, Y2, Y2
	VXORPS  Y4, Y4, Y4
	VXORPS  Y6, Y6, Y6
	VXORPS  Y8, Y8, Y8
	VXORPS  Y10, Y10, Y10
	MOVQ    DX, AX
	VMOVUPS (AX), Y0
	CMPQ    24(SP), $2
	JLT     avx2_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y2
	CMPQ    24(SP), $3
	JLT     avx2_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y4
	CMPQ    24(SP), $4
	JLT     avx2_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y6
	CMPQ    24(SP), $5
	JLT     avx2_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y8
	CMPQ    24(SP), $6
	JLT     avx2_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y10
	JMP     avx2_p8k

avx2_p8zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y10, Y10, Y10

avx2_p8k:
	MOVQ CX, AX

avx2_p8loop:
	VMOVUPS (BX), Y12
	FMA1(SI, Y0, Y12, Y14)
	FMA1(DI, Y2, Y12, Y15)
	FMA1(R8, Y4, Y12, Y14)
	FMA1(R9, Y6, Y12, Y15)
	FMA1(R10, Y8, Y12, Y14)
	FMA1(R11, Y10, Y12, Y15)
	ADDQ $64, BX
	ADDQ $4, AX
	JNZ  avx2_p8loop

	// Epilogue: activation, then the first mr rows.
	MOVQ ARG_ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  avx2_p8clamp
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  avx2_p8hsig
	CMPQ AX, $const_f32ActHardSwish
	JEQ  avx2_p8hswish
	JMP  avx2_p8store

avx2_p8clamp:
	VBROADCASTSS ARG_ACT_LO, Y12
	VBROADCASTSS ARG_ACT_HI, Y13
	CLAMP(Y0, Y12, Y13)
	CLAMP(Y2, Y12, Y13)
	CLAMP(Y4, Y12, Y13)
	CLAMP(Y6, Y12, Y13)
	CLAMP(Y8, Y12, Y13)
	CLAMP(Y10, Y12, Y13)
	JMP avx2_p8store

avx2_p8hsig:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	HSIG(Y0, Y12, Y13, Y14, Y15)
	HSIG(Y2, Y12, Y13, Y14, Y15)
	HSIG(Y4, Y12, Y13, Y14, Y15)
	HSIG(Y6, Y12, Y13, Y14, Y15)
	HSIG(Y8, Y12, Y13, Y14, Y15)
	HSIG(Y10, Y12, Y13, Y14, Y15)
	JMP avx2_p8store

avx2_p8hswish:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	HSWISH(Y0, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y2, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y4, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y6, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y8, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y10, Y12, Y13, Y14, Y15, Y1)

avx2_p8store:
	MOVQ    DX, AX
	VMOVUPS Y0, (AX)
	CMPQ    24(SP), $2
	JLT     avx2_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y2, (AX)
	CMPQ    24(SP), $3
	JLT     avx2_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y4, (AX)
	CMPQ    24(SP), $4
	JLT     avx2_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y6, (AX)
	CMPQ    24(SP), $5
	JLT     avx2_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y8, (AX)
	CMPQ    24(SP), $6
	JLT     avx2_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y10, (AX)

avx2_p8adv:
	// Next step: BX went 64·kc bytes down the panel; a whole panel moves
	// on by bps, a narrower path by its width within the panel.
	MOVQ CX, AX
	SHLQ $4, AX
	ADDQ AX, BX
	ADDQ $32, BX
	ADDQ $32, DX
	TESTQ R14, R14
	JZ   avx2_p8nobias
	ADDQ $32, R14

avx2_p8nobias:
	SUBQ $8, R12

avx2_p8next:
	// Next strip.
	MOVQ  gemmF32Args_lda(R13), AX
	IMULQ $6, AX
	ADDQ  AX, 8(SP)
	MOVQ  gemmF32Args_ldc(R13), AX
	IMULQ $6, AX
	ADDQ  AX, 16(SP)
	SUBQ  $6, 0(SP)
	JGT   avx2_strip
	VZEROUPPER
	RET

// func gemmF32_6x32_avx512(p *gemmF32Args)
//
// The 6×16 AVX2 kernel widened to ZMM: row i accumulates in Z(2i) (columns
// 0–15) and Z(2i+1) (16–31) of the 32-wide panel; Z12, Z13 hold a B row,
// Z14, Z15 the broadcast A values. Per strip: whole panels, then a 16-wide
// half panel (Z, even accumulators) and an 8-wide quarter (Y, even
// accumulators) as n mod 32 requires. Registers and frame as in
// gemmF32_6x16_avx2; Z16 is the epilogue temporary.
TEXT ·gemmF32_6x32_avx512(SB), NOSPLIT, $32-8
	MOVQ p+0(FP), R13
	MOVQ gemmF32Args_m(R13), AX
	MOVQ AX, 0(SP)
	MOVQ gemmF32Args_a(R13), AX
	MOVQ AX, 8(SP)
	MOVQ gemmF32Args_c(R13), AX
	MOVQ AX, 16(SP)

avx512_strip:
	// mr = min(rows left, 6); rows mr..5 repeat row mr-1.
	MOVQ    0(SP), BX
	MOVQ    $6, AX
	CMPQ    BX, AX
	CMOVQLT BX, AX
	MOVQ    AX, 24(SP)
	MOVQ    gemmF32Args_lda(R13), CX
	MOVQ    8(SP), SI
	LEAQ    (SI)(CX*1), DI
	CMPQ    AX, $2
	CMOVQLT SI, DI
	LEAQ    (DI)(CX*1), R8
	CMPQ    AX, $3
	CMOVQLT DI, R8
	LEAQ    (R8)(CX*1), R9
	CMPQ    AX, $4
	CMOVQLT R8, R9
	LEAQ    (R9)(CX*1), R10
	CMPQ    AX, $5
	CMOVQLT R9, R10
	LEAQ    (R10)(CX*1), R11
	CMPQ    AX, $6
	CMOVQLT R10, R11
	MOVQ    gemmF32Args_kc(R13), CX
	SHLQ    $2, CX
	ADDQ    CX, SI
	ADDQ    CX, DI
	ADDQ    CX, R8
	ADDQ    CX, R9
	ADDQ    CX, R10
	ADDQ    CX, R11
	NEGQ    CX
	MOVQ    gemmF32Args_b(R13), BX
	MOVQ    16(SP), DX
	MOVQ    gemmF32Args_n(R13), R12
	MOVQ    gemmF32Args_bias(R13), R14

avx512_p32:
	CMPQ R12, $32
	JLT  avx512_p32next
	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  avx512_p32load
	TESTQ R14, R14
	JZ   avx512_p32zero
	VMOVUPS (R14), Z0
	VMOVUPS 64(R14), Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z1, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z1, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z1, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z1, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	JMP  avx512_p32k

avx512_p32load:
	// Rows past mr start at zero (they are never stored).
	VPXORD  Z2, Z2, Z2
	VPXORD  Z3, Z3, Z3
	VPXORD  Z4, Z4, Z4
	VPXORD  Z5, Z5, Z5
	VPXORD  Z6, Z6, Z6
	VPXORD  Z7, Z7, Z7
	VPXORD  Z8, Z8, Z8
	VPXORD  Z9, Z9, Z9
	VPXORD  Z10, Z10, Z10
	VPXORD  Z11, Z11, Z11
	MOVQ    DX, AX
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	CMPQ    24(SP), $2
	JLT     avx512_p32k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z2
	VMOVUPS 64(AX), Z3
	CMPQ    24(SP), $3
	JLT     avx512_p32k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z4
	VMOVUPS 64(AX), Z5
	CMPQ    24(SP), $4
	JLT     avx512_p32k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z6
	VMOVUPS 64(AX), Z7
	CMPQ    24(SP), $5
	JLT     avx512_p32k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z8
	VMOVUPS 64(AX), Z9
	CMPQ    24(SP), $6
	JLT     avx512_p32k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z10
	VMOVUPS 64(AX), Z11
	JMP     avx512_p32k

avx512_p32zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

avx512_p32k:
	MOVQ CX, AX

avx512_p32loop:
	VMOVUPS (BX), Z12
	VMOVUPS 64(BX), Z13
	FMA2(SI, Z0, Z1, Z12, Z13, Z14)
	FMA2(DI, Z2, Z3, Z12, Z13, Z15)
	FMA2(R8, Z4, Z5, Z12, Z13, Z14)
	FMA2(R9, Z6, Z7, Z12, Z13, Z15)
	FMA2(R10, Z8, Z9, Z12, Z13, Z14)
	FMA2(R11, Z10, Z11, Z12, Z13, Z15)
	ADDQ $128, BX
	ADDQ $4, AX
	JNZ  avx512_p32loop

	// Epilogue: activation, then the first mr rows.
	MOVQ ARG_ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  avx512_p32clamp
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  avx512_p32hsig
	CMPQ AX, $const_f32ActHardSwish
	JEQ  avx512_p32hswish
	JMP  avx512_p32store

avx512_p32clamp:
	VBROADCASTSS ARG_ACT_LO, Z12
	VBROADCASTSS ARG_ACT_HI, Z13
	CLAMP(Z0, Z12, Z13)
	CLAMP(Z1, Z12, Z13)
	CLAMP(Z2, Z12, Z13)
	CLAMP(Z3, Z12, Z13)
	CLAMP(Z4, Z12, Z13)
	CLAMP(Z5, Z12, Z13)
	CLAMP(Z6, Z12, Z13)
	CLAMP(Z7, Z12, Z13)
	CLAMP(Z8, Z12, Z13)
	CLAMP(Z9, Z12, Z13)
	CLAMP(Z10, Z12, Z13)
	CLAMP(Z11, Z12, Z13)
	JMP avx512_p32store

avx512_p32hsig:
	VBROADCASTSS ARG_ACT_ALPHA, Z12
	VBROADCASTSS ARG_ACT_BETA, Z13
	VPXORD       Z14, Z14, Z14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Z15
	HSIG(Z0, Z12, Z13, Z14, Z15)
	HSIG(Z1, Z12, Z13, Z14, Z15)
	HSIG(Z2, Z12, Z13, Z14, Z15)
	HSIG(Z3, Z12, Z13, Z14, Z15)
	HSIG(Z4, Z12, Z13, Z14, Z15)
	HSIG(Z5, Z12, Z13, Z14, Z15)
	HSIG(Z6, Z12, Z13, Z14, Z15)
	HSIG(Z7, Z12, Z13, Z14, Z15)
	HSIG(Z8, Z12, Z13, Z14, Z15)
	HSIG(Z9, Z12, Z13, Z14, Z15)
	HSIG(Z10, Z12, Z13, Z14, Z15)
	HSIG(Z11, Z12, Z13, Z14, Z15)
	JMP avx512_p32store

avx512_p32hswish:
	VBROADCASTSS ARG_ACT_ALPHA, Z12
	VBROADCASTSS ARG_ACT_BETA, Z13
	VPXORD       Z14, Z14, Z14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Z15
	HSWISH(Z0, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z1, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z2, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z3, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z4, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z5, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z6, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z7, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z8, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z9, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z10, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z11, Z12, Z13, Z14, Z15, Z16)

avx512_p32store:
	MOVQ    DX, AX
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, 64(AX)
	CMPQ    24(SP), $2
	JLT     avx512_p32adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z2, (AX)
	VMOVUPS Z3, 64(AX)
	CMPQ    24(SP), $3
	JLT     avx512_p32adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z4, (AX)
	VMOVUPS Z5, 64(AX)
	CMPQ    24(SP), $4
	JLT     avx512_p32adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z6, (AX)
	VMOVUPS Z7, 64(AX)
	CMPQ    24(SP), $5
	JLT     avx512_p32adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z8, (AX)
	VMOVUPS Z9, 64(AX)
	CMPQ    24(SP), $6
	JLT     avx512_p32adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z10, (AX)
	VMOVUPS Z11, 64(AX)

avx512_p32adv:
	// Next step: BX went 128·kc bytes down the panel; a whole panel moves
	// on by bps, a narrower path by its width within the panel.
	MOVQ CX, AX
	SHLQ $5, AX
	ADDQ AX, BX
	ADDQ gemmF32Args_bps(R13), BX
	ADDQ $128, DX
	TESTQ R14, R14
	JZ   avx512_p32nobias
	ADDQ $128, R14

avx512_p32nobias:
	SUBQ $32, R12
	JMP  avx512_p32

avx512_p32next:
avx512_p16:
	CMPQ R12, $16
	JLT  avx512_p16next
	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  avx512_p16load
	TESTQ R14, R14
	JZ   avx512_p16zero
	VMOVUPS (R14), Z0
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z10
	JMP  avx512_p16k

avx512_p16load:
	// Rows past mr start at zero (they are never stored).
	VPXORD  Z2, Z2, Z2
	VPXORD  Z4, Z4, Z4
	VPXORD  Z6, Z6, Z6
	VPXORD  Z8, Z8, Z8
	VPXORD  Z10, Z10, Z10
	MOVQ    DX, AX
	VMOVUPS (AX), Z0
	CMPQ    24(SP), $2
	JLT     avx512_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z2
	CMPQ    24(SP), $3
	JLT     avx512_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z4
	CMPQ    24(SP), $4
	JLT     avx512_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z6
	CMPQ    24(SP), $5
	JLT     avx512_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z8
	CMPQ    24(SP), $6
	JLT     avx512_p16k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z10
	JMP     avx512_p16k

avx512_p16zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2
	VPXORD Z4, Z4, Z4
	VPXORD Z6, Z6, Z6
	VPXORD Z8, Z8, Z8
	VPXORD Z10, Z10, Z10

avx512_p16k:
	MOVQ CX, AX

avx512_p16loop:
	VMOVUPS (BX), Z12
	FMA1(SI, Z0, Z12, Z14)
	FMA1(DI, Z2, Z12, Z15)
	FMA1(R8, Z4, Z12, Z14)
	FMA1(R9, Z6, Z12, Z15)
	FMA1(R10, Z8, Z12, Z14)
	FMA1(R11, Z10, Z12, Z15)
	ADDQ $128, BX
	ADDQ $4, AX
	JNZ  avx512_p16loop

	// Epilogue: activation, then the first mr rows.
	MOVQ ARG_ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  avx512_p16clamp
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  avx512_p16hsig
	CMPQ AX, $const_f32ActHardSwish
	JEQ  avx512_p16hswish
	JMP  avx512_p16store

avx512_p16clamp:
	VBROADCASTSS ARG_ACT_LO, Z12
	VBROADCASTSS ARG_ACT_HI, Z13
	CLAMP(Z0, Z12, Z13)
	CLAMP(Z2, Z12, Z13)
	CLAMP(Z4, Z12, Z13)
	CLAMP(Z6, Z12, Z13)
	CLAMP(Z8, Z12, Z13)
	CLAMP(Z10, Z12, Z13)
	JMP avx512_p16store

avx512_p16hsig:
	VBROADCASTSS ARG_ACT_ALPHA, Z12
	VBROADCASTSS ARG_ACT_BETA, Z13
	VPXORD       Z14, Z14, Z14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Z15
	HSIG(Z0, Z12, Z13, Z14, Z15)
	HSIG(Z2, Z12, Z13, Z14, Z15)
	HSIG(Z4, Z12, Z13, Z14, Z15)
	HSIG(Z6, Z12, Z13, Z14, Z15)
	HSIG(Z8, Z12, Z13, Z14, Z15)
	HSIG(Z10, Z12, Z13, Z14, Z15)
	JMP avx512_p16store

avx512_p16hswish:
	VBROADCASTSS ARG_ACT_ALPHA, Z12
	VBROADCASTSS ARG_ACT_BETA, Z13
	VPXORD       Z14, Z14, Z14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Z15
	HSWISH(Z0, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z2, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z4, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z6, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z8, Z12, Z13, Z14, Z15, Z16)
	HSWISH(Z10, Z12, Z13, Z14, Z15, Z16)

avx512_p16store:
	MOVQ    DX, AX
	VMOVUPS Z0, (AX)
	CMPQ    24(SP), $2
	JLT     avx512_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z2, (AX)
	CMPQ    24(SP), $3
	JLT     avx512_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z4, (AX)
	CMPQ    24(SP), $4
	JLT     avx512_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z6, (AX)
	CMPQ    24(SP), $5
	JLT     avx512_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z8, (AX)
	CMPQ    24(SP), $6
	JLT     avx512_p16adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z10, (AX)

avx512_p16adv:
	// Next step: BX went 128·kc bytes down the panel; a whole panel moves
	// on by bps, a narrower path by its width within the panel.
	MOVQ CX, AX
	SHLQ $5, AX
	ADDQ AX, BX
	ADDQ $64, BX
	ADDQ $64, DX
	TESTQ R14, R14
	JZ   avx512_p16nobias
	ADDQ $64, R14

avx512_p16nobias:
	SUBQ $16, R12

avx512_p16next:
avx512_p8:
	CMPQ R12, $8
	JLT  avx512_p8next
	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  avx512_p8load
	TESTQ R14, R14
	JZ   avx512_p8zero
	VMOVUPS (R14), Y0
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y8
	VMOVAPS Y0, Y10
	JMP  avx512_p8k

avx512_p8load:
	// Rows past mr start at zero (they are never stored).
	VXORPS  Y2, Y2, Y2
	VXORPS  Y4, Y4, Y4
	VXORPS  Y6, Y6, Y6
	VXORPS  Y8, Y8, Y8
	VXORPS  Y10, Y10, Y10
	MOVQ    DX, AX
	VMOVUPS (AX), Y0
	CMPQ    24(SP), $2
	JLT     avx512_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y2
	CMPQ    24(SP), $3
	JLT     avx512_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y4
	CMPQ    24(SP), $4
	JLT     avx512_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y6
	CMPQ    24(SP), $5
	JLT     avx512_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y8
	CMPQ    24(SP), $6
	JLT     avx512_p8k
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y10
	JMP     avx512_p8k

avx512_p8zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y10, Y10, Y10

avx512_p8k:
	MOVQ CX, AX

avx512_p8loop:
	VMOVUPS (BX), Y12
	FMA1(SI, Y0, Y12, Y14)
	FMA1(DI, Y2, Y12, Y15)
	FMA1(R8, Y4, Y12, Y14)
	FMA1(R9, Y6, Y12, Y15)
	FMA1(R10, Y8, Y12, Y14)
	FMA1(R11, Y10, Y12, Y15)
	ADDQ $128, BX
	ADDQ $4, AX
	JNZ  avx512_p8loop

	// Epilogue: activation, then the first mr rows.
	MOVQ ARG_ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  avx512_p8clamp
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  avx512_p8hsig
	CMPQ AX, $const_f32ActHardSwish
	JEQ  avx512_p8hswish
	JMP  avx512_p8store

avx512_p8clamp:
	VBROADCASTSS ARG_ACT_LO, Y12
	VBROADCASTSS ARG_ACT_HI, Y13
	CLAMP(Y0, Y12, Y13)
	CLAMP(Y2, Y12, Y13)
	CLAMP(Y4, Y12, Y13)
	CLAMP(Y6, Y12, Y13)
	CLAMP(Y8, Y12, Y13)
	CLAMP(Y10, Y12, Y13)
	JMP avx512_p8store

avx512_p8hsig:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	HSIG(Y0, Y12, Y13, Y14, Y15)
	HSIG(Y2, Y12, Y13, Y14, Y15)
	HSIG(Y4, Y12, Y13, Y14, Y15)
	HSIG(Y6, Y12, Y13, Y14, Y15)
	HSIG(Y8, Y12, Y13, Y14, Y15)
	HSIG(Y10, Y12, Y13, Y14, Y15)
	JMP avx512_p8store

avx512_p8hswish:
	VBROADCASTSS ARG_ACT_ALPHA, Y12
	VBROADCASTSS ARG_ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	MOVL         $0x3f800000, AX // 1.0
	VMOVD        AX, X15
	VBROADCASTSS X15, Y15
	HSWISH(Y0, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y2, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y4, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y6, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y8, Y12, Y13, Y14, Y15, Y1)
	HSWISH(Y10, Y12, Y13, Y14, Y15, Y1)

avx512_p8store:
	MOVQ    DX, AX
	VMOVUPS Y0, (AX)
	CMPQ    24(SP), $2
	JLT     avx512_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y2, (AX)
	CMPQ    24(SP), $3
	JLT     avx512_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y4, (AX)
	CMPQ    24(SP), $4
	JLT     avx512_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y6, (AX)
	CMPQ    24(SP), $5
	JLT     avx512_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y8, (AX)
	CMPQ    24(SP), $6
	JLT     avx512_p8adv
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y10, (AX)

avx512_p8adv:
	// Next step: BX went 128·kc bytes down the panel; a whole panel moves
	// on by bps, a narrower path by its width within the panel.
	MOVQ CX, AX
	SHLQ $5, AX
	ADDQ AX, BX
	ADDQ $32, BX
	ADDQ $32, DX
	TESTQ R14, R14
	JZ   avx512_p8nobias
	ADDQ $32, R14

avx512_p8nobias:
	SUBQ $8, R12

avx512_p8next:
	// Next strip.
	MOVQ  gemmF32Args_lda(R13), AX
	IMULQ $6, AX
	ADDQ  AX, 8(SP)
	MOVQ  gemmF32Args_ldc(R13), AX
	IMULQ $6, AX
	ADDQ  AX, 16(SP)
	SUBQ  $6, 0(SP)
	JGT   avx512_strip
	VZEROUPPER
	RET
