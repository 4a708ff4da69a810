//go:build !purego

#include "go_asm.h"
#include "textflag.h"

#include "neon_arm64.h"

// Vector requantization of int32 sums to int8 for arm64 NEON (see
// rqRowsArgs in requant_s8.go). Channels go in blocks of 8; the last
// partial block overlaps the one before (n >= 8).

// Pack the int32 of V0 (channels 0–3) and V1 (4–7), within [-128, 127],
// to 8 bytes at (R9).
#define STORE8(a, b) \
	SQXTN_H(0, a);   \
	SQXTN2_H(0, b);  \
	SQXTN_B(0, 0);   \
	FMOVD F0, (R9)

// Registers of both requantizations: R0 = p; R1 = acc row; R2 = y row;
// R3 = bias; R5 = n; R6 = n−8; R7 = rows left; R8 = channel; R9, R10
// addresses.
#define RQ_ARGS \
	MOVD p+0(FP), R0;                  \
	MOVD rqRowsArgs_acc(R0), R1;       \
	MOVD rqRowsArgs_y(R0), R2;         \
	MOVD rqRowsArgs_bias(R0), R3;      \
	MOVD rqRowsArgs_n(R0), R5;         \
	SUB  $8, R5, R6;                   \
	MOVD rqRowsArgs_rows(R0), R7;      \
	MOVWU rqRowsArgs_zp(R0), R10;      \
	VDUP R10, V22.S4

// Next channel block: R8 += 8 done by the caller; jump to fdo when R8 <=
// n−8, to the last (overlapping) block when R8 < n, else to next.
#define NEXT_BLOCK(do, next) \
	CMP  R6, R8;  \
	BLE  do;      \
	CMP  R5, R8;  \
	BGE  next;    \
	MOVD R6, R8;  \
	B    do

// func requantS8Float_neon(p *rqRowsArgs)
//
// As requantS8Float_avx2: SCVTF and FCVTNS round to nearest even, FMUL is
// the one product, FMAX/FMIN clamp to the integer bounds. V20 lo, V21 hi,
// V22 zp; R4 = scale.
TEXT ·requantS8Float_neon(SB), NOSPLIT, $0-8
	RQ_ARGS
	MOVD  rqRowsArgs_scale(R0), R4
	MOVWU rqRowsArgs_lo(R0), R10
	VDUP  R10, V20.S4
	MOVWU rqRowsArgs_hi(R0), R10
	VDUP  R10, V21.S4

frow:
	MOVD $0, R8

fdo:
	ADD  R8<<2, R1, R9
	VLD1 (R9), [V0.S4, V1.S4]
	ADD  R8<<2, R3, R9
	VLD1 (R9), [V2.S4, V3.S4]
	VADD V2.S4, V0.S4, V0.S4
	VADD V3.S4, V1.S4, V1.S4
	SCVTF(0, 0)
	SCVTF(1, 1)
	ADD  R8<<2, R4, R9
	VLD1 (R9), [V2.S4, V3.S4]
	FMULV(0, 0, 2)
	FMULV(1, 1, 3)
	FMAXV(0, 0, 20)
	FMAXV(1, 1, 20)
	FMINV(0, 0, 21)
	FMINV(1, 1, 21)
	FCVTNS(0, 0)
	FCVTNS(1, 1)
	VADD V22.S4, V0.S4, V0.S4
	VADD V22.S4, V1.S4, V1.S4
	ADD  R8, R2, R9
	STORE8(0, 1)
	ADD  $8, R8, R8
	NEXT_BLOCK(fdo, fnext)

fnext:
	MOVD rqRowsArgs_accStride(R0), R10
	ADD  R10, R1, R1
	MOVD rqRowsArgs_yStride(R0), R10
	ADD  R10, R2, R2
	SUB  $1, R7, R7
	CBNZ R7, frow
	RET

// Four channels at R8+off of fixed point into V(dst) (see fixedVec; the
// arithmetic shift is SSHL by −sh, so no correction is needed): R11 mult,
// R12 add, R13 neg, R14 sh; V25 = 2^30 (2D). The caller adds zp (V22)
// and clamps to [min, max] (V23, V24).
#define FIXED4(off, dst) \
	ADD  $(4*(off)), R8, R15;       \
	ADD  R15<<2, R1, R9;            \
	VLD1 (R9), [V0.S4];             \
	ADD  R15<<2, R3, R9;            \
	VLD1 (R9), [V1.S4];             \
	VADD V1.S4, V0.S4, V0.S4;       \
	ADD  R15<<3, R11, R9;           \
	VLD1 (R9), [V2.D2, V3.D2];      \
	UZP1_S(4, 2, 3);                \
	SMULL_S(5, 0, 4);               \
	SMULL2_S(6, 0, 4);              \
	ADD_D(5, 5, 25);                \
	ADD_D(6, 6, 25);                \
	CMLT_D(7, 5);                   \
	CMLT_D(16, 6);                  \
	ADD  R15<<3, R13, R9;           \
	VLD1 (R9), [V2.B16, V3.B16];    \
	VAND V2.B16, V7.B16, V7.B16;    \
	VAND V3.B16, V16.B16, V16.B16;  \
	ADD  R15<<3, R12, R9;           \
	VLD1 (R9), [V2.D2, V3.D2];      \
	ADD_D(5, 5, 2);                 \
	ADD_D(6, 6, 3);                 \
	SUB_D(5, 5, 7);                 \
	SUB_D(6, 6, 16);                \
	ADD  R15<<3, R14, R9;           \
	VLD1 (R9), [V2.D2, V3.D2];      \
	NEG_D(2, 2);                    \
	NEG_D(3, 3);                    \
	SSHL_D(5, 5, 2);                \
	SSHL_D(6, 6, 3);                \
	UZP1_S(dst, 5, 6)

// func requantS8Fixed_neon(p *rqRowsArgs)
TEXT ·requantS8Fixed_neon(SB), NOSPLIT, $0-8
	RQ_ARGS
	MOVD  rqRowsArgs_mult(R0), R11
	MOVD  rqRowsArgs_add(R0), R12
	MOVD  rqRowsArgs_neg(R0), R13
	MOVD  rqRowsArgs_sh(R0), R14
	MOVWU rqRowsArgs_min(R0), R10
	VDUP  R10, V23.S4
	MOVWU rqRowsArgs_max(R0), R10
	VDUP  R10, V24.S4
	MOVD  $0x40000000, R10
	VDUP  R10, V25.D2

xrow:
	MOVD $0, R8

xdo:
	FIXED4(0, 17)
	FIXED4(1, 18)
	VADD   V22.S4, V17.S4, V17.S4
	VADD   V22.S4, V18.S4, V18.S4
	SMAX_S(17, 17, 23)
	SMAX_S(18, 18, 23)
	SMIN_S(17, 17, 24)
	SMIN_S(18, 18, 24)
	ADD  R8, R2, R9
	STORE8(17, 18)
	ADD  $8, R8, R8
	NEXT_BLOCK(xdo, xnext)

xnext:
	MOVD rqRowsArgs_accStride(R0), R10
	ADD  R10, R1, R1
	MOVD rqRowsArgs_yStride(R0), R10
	ADD  R10, R2, R2
	SUB  $1, R7, R7
	CBNZ R7, xrow
	RET
