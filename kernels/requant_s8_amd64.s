//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Vector requantization of int32 sums to int8 for amd64 AVX2 (see
// rqRowsArgs and requantPlan.rows in requant_s8.go). Channels go in blocks
// of 8; the last partial block overlaps the one before (n >= 8).

// Pack the 8 int32 of Y0 (already within [-128, 127]) to bytes at (DI)(AX*1).
#define STORE8 \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSDW    X1, X0, X0; \
	VPACKSSWB    X0, X0, X0; \
	MOVQ         X0, (DI)(AX*1)

// func requantS8Float_avx2(p *rqRowsArgs)
//
// y = int8(roundHalfEven(min(max(float32(acc+bias)·scale, lo), hi)) + zp):
// VCVTDQ2PS and VCVTPS2DQ round to nearest even (the Go runtime's MXCSR),
// VMULPS is the one float32 product, the clamp bounds are integers.
//
// Registers: R13 = p; SI = acc row; DI = y row; BX = bias; DX = scale;
// R10 = n; R11 = n−8; R12 = rows left; AX = channel; Y13 lo, Y14 hi,
// Y15 zp.
TEXT ·requantS8Float_avx2(SB), NOSPLIT, $0-8
	MOVQ         p+0(FP), R13
	MOVQ         rqRowsArgs_acc(R13), SI
	MOVQ         rqRowsArgs_y(R13), DI
	MOVQ         rqRowsArgs_bias(R13), BX
	MOVQ         rqRowsArgs_scale(R13), DX
	MOVQ         rqRowsArgs_n(R13), R10
	LEAQ         -8(R10), R11
	MOVQ         rqRowsArgs_rows(R13), R12
	VBROADCASTSS rqRowsArgs_lo(R13), Y13
	VBROADCASTSS rqRowsArgs_hi(R13), Y14
	VPBROADCASTD rqRowsArgs_zp(R13), Y15

frow:
	XORQ AX, AX

fblock:
	CMPQ AX, R11
	JLE  fdo
	CMPQ AX, R10
	JGE  fnext
	MOVQ R11, AX

fdo:
	VMOVDQU   (SI)(AX*4), Y0
	VPADDD    (BX)(AX*4), Y0, Y0
	VCVTDQ2PS Y0, Y0
	VMULPS    (DX)(AX*4), Y0, Y0
	VMAXPS    Y13, Y0, Y0
	VMINPS    Y14, Y0, Y0
	VCVTPS2DQ Y0, Y0
	VPADDD    Y15, Y0, Y0
	STORE8
	ADDQ      $8, AX
	JMP       fblock

fnext:
	ADDQ rqRowsArgs_accStride(R13), SI
	ADDQ rqRowsArgs_yStride(R13), DI
	DECQ R12
	JNZ  frow
	VZEROUPPER
	RET

// Four channels from AX+off of fixed point into X(dst) (see fixedVec):
// Y2 = 2^30 (qwords), Y3 = 0, Y4 = 2^63, X15 zp, X13 min, X14 max.
#define FIXED4(off, dst) \
	VMOVDQU   (4*off)(SI)(AX*4), X5;  \
	VPADDD    (4*off)(BX)(AX*4), X5, X5; \
	VPMOVZXDQ X5, Y5;                 \
	VPMULDQ   (8*off)(R8)(AX*8), Y5, Y5; \
	VPADDQ    Y2, Y5, Y5;             \
	VPCMPGTQ  Y5, Y3, Y6;             \
	VPAND     (8*off)(R14)(AX*8), Y6, Y6; \
	VPADDQ    (8*off)(R9)(AX*8), Y5, Y5; \
	VPSUBQ    Y6, Y5, Y5;             \
	VPXOR     Y4, Y5, Y5;             \
	VPSRLVQ   (8*off)(CX)(AX*8), Y5, Y5; \
	VPSHUFD   $0x08, Y5, Y5;          \
	VPERMQ    $0x08, Y5, Y5;          \
	VPSUBD    (4*off)(DX)(AX*4), X5, X5; \
	VPADDD    X15, X5, X5;            \
	VPMAXSD   X13, X5, X5;            \
	VPMINSD   X14, X5, dst

// func requantS8Fixed_avx2(p *rqRowsArgs)
//
// TFLite's MultiplyByQuantizedMultiplier without a left shift, in int64
// lanes (VPMULDQ), with the arithmetic shift done as a logical one on the
// sign-flipped value (fixedVec).
//
// Registers: R13 = p; SI = acc row; DI = y row; BX = bias; R8 = mult;
// R9 = add; R14 = neg; CX = sh; DX = corr; R10 = n; R11 = n−8; R12 =
// rows left; AX = channel.
TEXT ·requantS8Fixed_avx2(SB), NOSPLIT, $0-8
	MOVQ         p+0(FP), R13
	MOVQ         rqRowsArgs_acc(R13), SI
	MOVQ         rqRowsArgs_y(R13), DI
	MOVQ         rqRowsArgs_bias(R13), BX
	MOVQ         rqRowsArgs_mult(R13), R8
	MOVQ         rqRowsArgs_add(R13), R9
	MOVQ         rqRowsArgs_neg(R13), R14
	MOVQ         rqRowsArgs_sh(R13), CX
	MOVQ         rqRowsArgs_corr(R13), DX
	MOVQ         rqRowsArgs_n(R13), R10
	LEAQ         -8(R10), R11
	MOVQ         rqRowsArgs_rows(R13), R12
	VPBROADCASTD rqRowsArgs_min(R13), X13
	VPBROADCASTD rqRowsArgs_max(R13), X14
	VPBROADCASTD rqRowsArgs_zp(R13), X15
	MOVQ         $0x40000000, AX
	MOVQ         AX, X2
	VPBROADCASTQ X2, Y2
	VPXOR        Y3, Y3, Y3
	MOVQ         $0x8000000000000000, AX
	MOVQ         AX, X4
	VPBROADCASTQ X4, Y4

xrow:
	XORQ AX, AX

xblock:
	CMPQ AX, R11
	JLE  xdo
	CMPQ AX, R10
	JGE  xnext
	MOVQ R11, AX

xdo:
	FIXED4(0, X0)
	FIXED4(4, X1)
	VPACKSSDW X1, X0, X0
	VPACKSSWB X0, X0, X0
	MOVQ      X0, (DI)(AX*1)
	ADDQ      $8, AX
	JMP       xblock

xnext:
	ADDQ rqRowsArgs_accStride(R13), SI
	ADDQ rqRowsArgs_yStride(R13), DI
	DECQ R12
	JNZ  xrow
	VZEROUPPER
	RET

// func quantizeS8Float_avx2(x *float32, n int, scale, lo, hi float32, zero int32, y *int8)
//
// QuantizeS8's RequantFloat loop for n (a multiple of 8) values: the
// float32 quotient (VDIVPS), NaN or below lo → lo (VMAXPS returns its
// second source when one is NaN), above hi → hi, rounded to nearest even,
// + zero.
TEXT ·quantizeS8Float_avx2(SB), NOSPLIT, $0-40
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS scale+16(FP), Y12
	VBROADCASTSS lo+20(FP), Y13
	VBROADCASTSS hi+24(FP), Y14
	MOVL         zero+28(FP), AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	MOVQ         y+32(FP), DI
	SHRQ         $3, CX
	JZ           qdone

qloop:
	VMOVUPS   (SI), Y0
	VDIVPS    Y12, Y0, Y0
	VMAXPS    Y13, Y0, Y0
	VMINPS    Y14, Y0, Y0
	VCVTPS2DQ Y0, Y0
	VPADDD    Y15, Y0, Y0
	XORQ      AX, AX
	STORE8
	ADDQ      $32, SI
	ADDQ      $8, DI
	DECQ      CX
	JNZ       qloop

qdone:
	VZEROUPPER
	RET
