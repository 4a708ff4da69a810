//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Float32 GEMM strip kernels for amd64 (see gemmF32Args in asmargs_f32.go
// for the contract and gemm_f32_amd64.go for the Go side).

// Eight float32 ones, the upper clamp of the hard-sigmoid epilogues.
DATA f32Ones<>+0(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+8(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+16(SB)/8, $0x3f8000003f800000
DATA f32Ones<>+24(SB)/8, $0x3f8000003f800000
GLOBL f32Ones<>(SB), RODATA|NOPTR, $32

#define ACT_KIND gemmF32Args_act+f32ActArgs_kind(R13)
#define ACT_LO gemmF32Args_act+f32ActArgs_lo(R13)
#define ACT_HI gemmF32Args_act+f32ActArgs_hi(R13)
#define ACT_ALPHA gemmF32Args_act+f32ActArgs_alpha(R13)
#define ACT_BETA gemmF32Args_act+f32ActArgs_beta(R13)

// Activations on one register. The clamps take x as the second source, so
// a NaN stays NaN (MAXPS/MINPS return the second source if either is NaN).
// CLAMP: Y12 = lo, Y13 = hi.
#define CLAMP(r) \
	VMAXPS r, Y12, r; \
	VMINPS r, Y13, r

// HSIG: Y12 = alpha, Y13 = beta, Y14 = 0, Y15 = 1.
#define HSIG(r) \
	VFMADD213PS Y13, Y12, r; \
	VMAXPS      r, Y14, r;   \
	VMINPS      r, Y15, r

// HSWISH: Y12 = 1/6, Y13 = 1/2, Y14 = 0; Y15 is the temporary.
#define HSWISH(r) \
	VMOVAPS     r, Y15;                \
	VFMADD213PS Y13, Y12, Y15;         \
	VMAXPS      Y15, Y14, Y15;         \
	VMINPS      f32Ones<>(SB), Y15, Y15; \
	VMULPS      Y15, r, r

// One row of the 6×16 tile: broadcast A[i][k], two FMAs.
#define FMA16(ptr, acc0, acc1, t) \
	VBROADCASTSS (ptr)(AX*1), t;  \
	VFMADD231PS  Y12, t, acc0;    \
	VFMADD231PS  Y13, t, acc1

// One row of the 6×8 tail tile.
#define FMA8(ptr, acc, t) \
	VBROADCASTSS (ptr)(AX*1), t; \
	VFMADD231PS  Y12, t, acc

// func gemmF32_6x16_avx2(p *gemmF32Args)
//
// 6×16 register tile: rows i = 0..5 accumulate in Y(2i) (columns 0–7) and
// Y(2i+1) (columns 8–15); Y12, Y13 hold a row of the B panel, Y14, Y15 the
// broadcast A values. Columns go by whole 16-wide panels, then one 8-wide
// half panel if n mod 16 = 8 (the Go side sends any narrower tail through
// a stack tile).
//
// General registers: R13 = p; SI DI R8 R9 R10 R11 = &A[i][kc]; CX = -4·kc;
// AX = k index in bytes (-4·kc … 0); BX = B; DX = C column; R12 = columns
// left; R14 = bias column (0 when there is no bias).
TEXT ·gemmF32_6x16_avx2(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ gemmF32Args_kc(R13), CX
	SHLQ $2, CX
	MOVQ gemmF32Args_a+0(R13), SI
	MOVQ gemmF32Args_a+8(R13), DI
	MOVQ gemmF32Args_a+16(R13), R8
	MOVQ gemmF32Args_a+24(R13), R9
	MOVQ gemmF32Args_a+32(R13), R10
	MOVQ gemmF32Args_a+40(R13), R11
	ADDQ CX, SI
	ADDQ CX, DI
	ADDQ CX, R8
	ADDQ CX, R9
	ADDQ CX, R10
	ADDQ CX, R11
	NEGQ CX
	MOVQ gemmF32Args_b(R13), BX
	MOVQ gemmF32Args_c(R13), DX
	MOVQ gemmF32Args_n(R13), R12
	MOVQ gemmF32Args_bias(R13), R14

panel16:
	CMPQ R12, $16
	JLT  tail8

	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  load16
	TESTQ R14, R14
	JZ   zero16
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
	JMP  loop16start

load16:
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
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     loop16start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y2
	VMOVUPS 32(AX), Y3
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     loop16start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     loop16start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y6
	VMOVUPS 32(AX), Y7
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     loop16start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     loop16start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y10
	VMOVUPS 32(AX), Y11
	JMP     loop16start

zero16:
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

loop16start:
	MOVQ CX, AX

loop16:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	FMA16(SI, Y0, Y1, Y14)
	FMA16(DI, Y2, Y3, Y15)
	FMA16(R8, Y4, Y5, Y14)
	FMA16(R9, Y6, Y7, Y15)
	FMA16(R10, Y8, Y9, Y14)
	FMA16(R11, Y10, Y11, Y15)
	ADDQ $64, BX
	ADDQ $4, AX
	JNZ  loop16

	// Epilogue: activation, then the first mr rows.
	MOVQ ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  clamp16
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  hsig16
	CMPQ AX, $const_f32ActHardSwish
	JEQ  hswish16
	JMP  store16

clamp16:
	VBROADCASTSS ACT_LO, Y12
	VBROADCASTSS ACT_HI, Y13
	CLAMP(Y0)
	CLAMP(Y1)
	CLAMP(Y2)
	CLAMP(Y3)
	CLAMP(Y4)
	CLAMP(Y5)
	CLAMP(Y6)
	CLAMP(Y7)
	CLAMP(Y8)
	CLAMP(Y9)
	CLAMP(Y10)
	CLAMP(Y11)
	JMP store16

hsig16:
	VBROADCASTSS ACT_ALPHA, Y12
	VBROADCASTSS ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	VMOVUPS      f32Ones<>(SB), Y15
	HSIG(Y0)
	HSIG(Y1)
	HSIG(Y2)
	HSIG(Y3)
	HSIG(Y4)
	HSIG(Y5)
	HSIG(Y6)
	HSIG(Y7)
	HSIG(Y8)
	HSIG(Y9)
	HSIG(Y10)
	HSIG(Y11)
	JMP store16

hswish16:
	VBROADCASTSS ACT_ALPHA, Y12
	VBROADCASTSS ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	HSWISH(Y0)
	HSWISH(Y1)
	HSWISH(Y2)
	HSWISH(Y3)
	HSWISH(Y4)
	HSWISH(Y5)
	HSWISH(Y6)
	HSWISH(Y7)
	HSWISH(Y8)
	HSWISH(Y9)
	HSWISH(Y10)
	HSWISH(Y11)

store16:
	MOVQ    DX, AX
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     next16
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, 32(AX)
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     next16
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y4, (AX)
	VMOVUPS Y5, 32(AX)
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     next16
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y6, (AX)
	VMOVUPS Y7, 32(AX)
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     next16
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, 32(AX)
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     next16
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y10, (AX)
	VMOVUPS Y11, 32(AX)

next16:
	// BX went 64·kc bytes down the panel: back, then on to the next one.
	MOVQ CX, AX
	SHLQ $4, AX
	ADDQ AX, BX
	ADDQ gemmF32Args_bps(R13), BX
	ADDQ $64, DX
	TESTQ R14, R14
	JZ   nobias16
	ADDQ $64, R14

nobias16:
	SUBQ $16, R12
	JMP  panel16

tail8:
	// R12 is 0 or 8 here. The 6×8 tile uses the even accumulators.
	TESTQ R12, R12
	JZ    done
	CMPQ  gemmF32Args_loadC(R13), $0
	JNE   load8
	TESTQ R14, R14
	JZ    zero8
	VMOVUPS (R14), Y0
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y8
	VMOVAPS Y0, Y10
	JMP   loop8start

load8:
	VXORPS  Y2, Y2, Y2
	VXORPS  Y4, Y4, Y4
	VXORPS  Y6, Y6, Y6
	VXORPS  Y8, Y8, Y8
	VXORPS  Y10, Y10, Y10
	MOVQ    DX, AX
	VMOVUPS (AX), Y0
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     loop8start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y2
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     loop8start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y4
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     loop8start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y6
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     loop8start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y8
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     loop8start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Y10
	JMP     loop8start

zero8:
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	VXORPS Y8, Y8, Y8
	VXORPS Y10, Y10, Y10

loop8start:
	MOVQ CX, AX

loop8:
	VMOVUPS (BX), Y12
	FMA8(SI, Y0, Y14)
	FMA8(DI, Y2, Y15)
	FMA8(R8, Y4, Y14)
	FMA8(R9, Y6, Y15)
	FMA8(R10, Y8, Y14)
	FMA8(R11, Y10, Y15)
	ADDQ $64, BX
	ADDQ $4, AX
	JNZ  loop8

	MOVQ ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  clamp8
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  hsig8
	CMPQ AX, $const_f32ActHardSwish
	JEQ  hswish8
	JMP  store8

clamp8:
	VBROADCASTSS ACT_LO, Y12
	VBROADCASTSS ACT_HI, Y13
	CLAMP(Y0)
	CLAMP(Y2)
	CLAMP(Y4)
	CLAMP(Y6)
	CLAMP(Y8)
	CLAMP(Y10)
	JMP store8

hsig8:
	VBROADCASTSS ACT_ALPHA, Y12
	VBROADCASTSS ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	VMOVUPS      f32Ones<>(SB), Y15
	HSIG(Y0)
	HSIG(Y2)
	HSIG(Y4)
	HSIG(Y6)
	HSIG(Y8)
	HSIG(Y10)
	JMP store8

hswish8:
	VBROADCASTSS ACT_ALPHA, Y12
	VBROADCASTSS ACT_BETA, Y13
	VXORPS       Y14, Y14, Y14
	HSWISH(Y0)
	HSWISH(Y2)
	HSWISH(Y4)
	HSWISH(Y6)
	HSWISH(Y8)
	HSWISH(Y10)

store8:
	MOVQ    DX, AX
	VMOVUPS Y0, (AX)
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     done
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y2, (AX)
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     done
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y4, (AX)
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     done
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y6, (AX)
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     done
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y8, (AX)
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     done
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Y10, (AX)

done:
	VZEROUPPER
	RET

// ZMM epilogue steps, as CLAMP, HSIG and HSWISH above with Z12 = lo or
// alpha, Z13 = hi or beta, Z14 = 0, Z15 = 1 and Z16 the temporary (the
// ones come from a general register: no memory constant of ZMM width).
#define CLAMPZ(r) \
	VMAXPS r, Z12, r; \
	VMINPS r, Z13, r

#define HSIGZ(r) \
	VFMADD213PS Z13, Z12, r; \
	VMAXPS      r, Z14, r;   \
	VMINPS      r, Z15, r

#define HSWISHZ(r) \
	VMOVAPS     r, Z16;        \
	VFMADD213PS Z13, Z12, Z16; \
	VMAXPS      Z16, Z14, Z16; \
	VMINPS      Z16, Z15, Z16; \
	VMULPS      Z16, r, r

#define FMA32(ptr, acc0, acc1, t) \
	VBROADCASTSS (ptr)(AX*1), t;  \
	VFMADD231PS  Z12, t, acc0;    \
	VFMADD231PS  Z13, t, acc1

#define FMA16H(ptr, acc, t) \
	VBROADCASTSS (ptr)(AX*1), t; \
	VFMADD231PS  Z12, t, acc

// func gemmF32_6x32_avx512(p *gemmF32Args)
//
// The 6×16 AVX2 kernel widened to ZMM: rows i = 0..5 accumulate in Z(2i)
// (columns 0–15) and Z(2i+1) (16–31); Z12, Z13 hold a row of the 32-wide B
// panel, Z14, Z15 the broadcast A values. Columns go by whole panels, then
// one 16-wide half panel if n mod 32 = 16 (the Go side sends any narrower
// tail through a stack tile). Registers as in gemmF32_6x16_avx2.
TEXT ·gemmF32_6x32_avx512(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ gemmF32Args_kc(R13), CX
	SHLQ $2, CX
	MOVQ gemmF32Args_a+0(R13), SI
	MOVQ gemmF32Args_a+8(R13), DI
	MOVQ gemmF32Args_a+16(R13), R8
	MOVQ gemmF32Args_a+24(R13), R9
	MOVQ gemmF32Args_a+32(R13), R10
	MOVQ gemmF32Args_a+40(R13), R11
	ADDQ CX, SI
	ADDQ CX, DI
	ADDQ CX, R8
	ADDQ CX, R9
	ADDQ CX, R10
	ADDQ CX, R11
	NEGQ CX
	MOVQ gemmF32Args_b(R13), BX
	MOVQ gemmF32Args_c(R13), DX
	MOVQ gemmF32Args_n(R13), R12
	MOVQ gemmF32Args_bias(R13), R14

panel32:
	CMPQ R12, $32
	JLT  tail16

	// Accumulators start from C (later K blocks), the bias, or zero.
	CMPQ gemmF32Args_loadC(R13), $0
	JNE  load32
	TESTQ R14, R14
	JZ   zero32
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
	JMP  loop32start

load32:
	// Rows past mr start at zero (they are never stored).
	VXORPS  Z2, Z2, Z2
	VXORPS  Z3, Z3, Z3
	VXORPS  Z4, Z4, Z4
	VXORPS  Z5, Z5, Z5
	VXORPS  Z6, Z6, Z6
	VXORPS  Z7, Z7, Z7
	VXORPS  Z8, Z8, Z8
	VXORPS  Z9, Z9, Z9
	VXORPS  Z10, Z10, Z10
	VXORPS  Z11, Z11, Z11
	MOVQ    DX, AX
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     loop32start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z2
	VMOVUPS 64(AX), Z3
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     loop32start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z4
	VMOVUPS 64(AX), Z5
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     loop32start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z6
	VMOVUPS 64(AX), Z7
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     loop32start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z8
	VMOVUPS 64(AX), Z9
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     loop32start
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z10
	VMOVUPS 64(AX), Z11
	JMP     loop32start

zero32:
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11

loop32start:
	MOVQ CX, AX

loop32:
	VMOVUPS (BX), Z12
	VMOVUPS 64(BX), Z13
	FMA32(SI, Z0, Z1, Z14)
	FMA32(DI, Z2, Z3, Z15)
	FMA32(R8, Z4, Z5, Z14)
	FMA32(R9, Z6, Z7, Z15)
	FMA32(R10, Z8, Z9, Z14)
	FMA32(R11, Z10, Z11, Z15)
	ADDQ $128, BX
	ADDQ $4, AX
	JNZ  loop32

	// Epilogue: activation, then the first mr rows.
	MOVQ ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  clamp32
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  hsig32
	CMPQ AX, $const_f32ActHardSwish
	JEQ  hswish32
	JMP  store32

clamp32:
	VBROADCASTSS ACT_LO, Z12
	VBROADCASTSS ACT_HI, Z13
	CLAMPZ(Z0)
	CLAMPZ(Z1)
	CLAMPZ(Z2)
	CLAMPZ(Z3)
	CLAMPZ(Z4)
	CLAMPZ(Z5)
	CLAMPZ(Z6)
	CLAMPZ(Z7)
	CLAMPZ(Z8)
	CLAMPZ(Z9)
	CLAMPZ(Z10)
	CLAMPZ(Z11)
	JMP store32

hsig32:
	VBROADCASTSS ACT_ALPHA, Z12
	VBROADCASTSS ACT_BETA, Z13
	VXORPS       Z14, Z14, Z14
	MOVL         $0x3f800000, AX
	VPBROADCASTD AX, Z15
	HSIGZ(Z0)
	HSIGZ(Z1)
	HSIGZ(Z2)
	HSIGZ(Z3)
	HSIGZ(Z4)
	HSIGZ(Z5)
	HSIGZ(Z6)
	HSIGZ(Z7)
	HSIGZ(Z8)
	HSIGZ(Z9)
	HSIGZ(Z10)
	HSIGZ(Z11)
	JMP store32

hswish32:
	VBROADCASTSS ACT_ALPHA, Z12
	VBROADCASTSS ACT_BETA, Z13
	VXORPS       Z14, Z14, Z14
	MOVL         $0x3f800000, AX
	VPBROADCASTD AX, Z15
	HSWISHZ(Z0)
	HSWISHZ(Z1)
	HSWISHZ(Z2)
	HSWISHZ(Z3)
	HSWISHZ(Z4)
	HSWISHZ(Z5)
	HSWISHZ(Z6)
	HSWISHZ(Z7)
	HSWISHZ(Z8)
	HSWISHZ(Z9)
	HSWISHZ(Z10)
	HSWISHZ(Z11)

store32:
	MOVQ    DX, AX
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, 64(AX)
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     next32
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z2, (AX)
	VMOVUPS Z3, 64(AX)
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     next32
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z4, (AX)
	VMOVUPS Z5, 64(AX)
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     next32
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z6, (AX)
	VMOVUPS Z7, 64(AX)
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     next32
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z8, (AX)
	VMOVUPS Z9, 64(AX)
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     next32
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z10, (AX)
	VMOVUPS Z11, 64(AX)

next32:
	// BX went 64·kc bytes down the panel: back, then on to the next one.
	MOVQ CX, AX
	SHLQ $5, AX
	ADDQ AX, BX
	ADDQ gemmF32Args_bps(R13), BX
	ADDQ $128, DX
	TESTQ R14, R14
	JZ   nobias32
	ADDQ $128, R14

nobias32:
	SUBQ $32, R12
	JMP  panel32

tail16:
	// R12 is 0 or 16 here. The 6×16 tile uses the even accumulators.
	TESTQ R12, R12
	JZ    done512
	CMPQ  gemmF32Args_loadC(R13), $0
	JNE   load16h
	TESTQ R14, R14
	JZ    zero16h
	VMOVUPS (R14), Z0
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z10
	JMP   loop16hstart

load16h:
	VXORPS  Z2, Z2, Z2
	VXORPS  Z4, Z4, Z4
	VXORPS  Z6, Z6, Z6
	VXORPS  Z8, Z8, Z8
	VXORPS  Z10, Z10, Z10
	MOVQ    DX, AX
	VMOVUPS (AX), Z0
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     loop16hstart
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z2
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     loop16hstart
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z4
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     loop16hstart
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z6
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     loop16hstart
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z8
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     loop16hstart
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS (AX), Z10
	JMP     loop16hstart

zero16h:
	VXORPS Z0, Z0, Z0
	VXORPS Z2, Z2, Z2
	VXORPS Z4, Z4, Z4
	VXORPS Z6, Z6, Z6
	VXORPS Z8, Z8, Z8
	VXORPS Z10, Z10, Z10

loop16hstart:
	MOVQ CX, AX

loop16h:
	VMOVUPS (BX), Z12
	FMA16H(SI, Z0, Z14)
	FMA16H(DI, Z2, Z15)
	FMA16H(R8, Z4, Z14)
	FMA16H(R9, Z6, Z15)
	FMA16H(R10, Z8, Z14)
	FMA16H(R11, Z10, Z15)
	ADDQ $128, BX
	ADDQ $4, AX
	JNZ  loop16h

	MOVQ ACT_KIND, AX
	CMPQ AX, $const_f32ActClamp
	JEQ  clamp16h
	CMPQ AX, $const_f32ActHardSigmoid
	JEQ  hsig16h
	CMPQ AX, $const_f32ActHardSwish
	JEQ  hswish16h
	JMP  store16h

clamp16h:
	VBROADCASTSS ACT_LO, Z12
	VBROADCASTSS ACT_HI, Z13
	CLAMPZ(Z0)
	CLAMPZ(Z2)
	CLAMPZ(Z4)
	CLAMPZ(Z6)
	CLAMPZ(Z8)
	CLAMPZ(Z10)
	JMP store16h

hsig16h:
	VBROADCASTSS ACT_ALPHA, Z12
	VBROADCASTSS ACT_BETA, Z13
	VXORPS       Z14, Z14, Z14
	MOVL         $0x3f800000, AX
	VPBROADCASTD AX, Z15
	HSIGZ(Z0)
	HSIGZ(Z2)
	HSIGZ(Z4)
	HSIGZ(Z6)
	HSIGZ(Z8)
	HSIGZ(Z10)
	JMP store16h

hswish16h:
	VBROADCASTSS ACT_ALPHA, Z12
	VBROADCASTSS ACT_BETA, Z13
	VXORPS       Z14, Z14, Z14
	MOVL         $0x3f800000, AX
	VPBROADCASTD AX, Z15
	HSWISHZ(Z0)
	HSWISHZ(Z2)
	HSWISHZ(Z4)
	HSWISHZ(Z6)
	HSWISHZ(Z8)
	HSWISHZ(Z10)

store16h:
	MOVQ    DX, AX
	VMOVUPS Z0, (AX)
	CMPQ    gemmF32Args_mr(R13), $2
	JLT     done512
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z2, (AX)
	CMPQ    gemmF32Args_mr(R13), $3
	JLT     done512
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z4, (AX)
	CMPQ    gemmF32Args_mr(R13), $4
	JLT     done512
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z6, (AX)
	CMPQ    gemmF32Args_mr(R13), $5
	JLT     done512
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z8, (AX)
	CMPQ    gemmF32Args_mr(R13), $6
	JLT     done512
	ADDQ    gemmF32Args_ldc(R13), AX
	VMOVUPS Z10, (AX)

done512:
	VZEROUPPER
	RET
