//go:build !purego

#include "go_asm.h"
#include "textflag.h"
#include "neon_arm64.h"

// Int8 depthwise tap sums for arm64 NEON (see dwS8Args in
// dwconv_s8_vec.go). Channels go in blocks of 16; the last partial block
// overlaps the one before.

// func dwconvS8Acc_neon(p *dwS8Args)
//
// Inputs sign-extended to int32 (SXTL twice), times the int32 weights,
// accumulated (MLA). Registers: R0 = p; R1 = pixel's window; R2 =
// pixel's sums; R3 = c; R4 = c−8; R5 = c·4; R6 = pixels left; R7 =
// channel; R8 = kernel row in x; R9 = tap in x; R10 = tap's weights;
// R11 rows left; R12 columns left; R13 tapX; R14 tapY; R15 kh; R16 kw;
// R17 = w; R19 temporary.
TEXT ·dwconvS8Acc_neon(SB), NOSPLIT, $0-8
	MOVD p+0(FP), R0
	MOVD dwS8Args_x(R0), R1
	MOVD dwS8Args_acc(R0), R2
	MOVD dwS8Args_c(R0), R3
	SUB  $8, R3, R4
	LSL  $2, R3, R5
	MOVD dwS8Args_n(R0), R6
	MOVD dwS8Args_tapX(R0), R13
	MOVD dwS8Args_tapY(R0), R14
	MOVD dwS8Args_kh(R0), R15
	MOVD dwS8Args_kw(R0), R16
	MOVD dwS8Args_w(R0), R17

dpix:
	MOVD $0, R7

dblk16:
	ADD  $16, R7, R19
	CMP  R3, R19
	BGT  dblk8
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	ADD  R7, R1, R8
	ADD  R7<<2, R17, R10
	MOVD R15, R11

dky16:
	MOVD R8, R9
	MOVD R16, R12

dkx16:
	VLD1 (R9), [V4.B16]
	SXTL_H(5, 4)
	SXTL2_H(6, 4)
	SXTL_S(16, 5)
	SXTL2_S(17, 5)
	SXTL_S(18, 6)
	SXTL2_S(19, 6)
	VLD1 (R10), [V24.S4, V25.S4, V26.S4, V27.S4]
	MLA_S(0, 16, 24)
	MLA_S(1, 17, 25)
	MLA_S(2, 18, 26)
	MLA_S(3, 19, 27)
	ADD  R13, R9, R9
	ADD  R5, R10, R10
	SUB  $1, R12, R12
	CBNZ R12, dkx16
	ADD  R14, R8, R8
	SUB  $1, R11, R11
	CBNZ R11, dky16
	ADD  R7<<2, R2, R19
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R19)
	ADD  $16, R7, R7
	B    dblk16

dblk8:
	CMP  R4, R7
	BLE  ddo8
	CMP  R3, R7
	BGE  dpixdone
	MOVD R4, R7

ddo8:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	ADD  R7, R1, R8
	ADD  R7<<2, R17, R10
	MOVD R15, R11

dky8:
	MOVD R8, R9
	MOVD R16, R12

dkx8:
	FMOVD (R9), F4
	SXTL_H(5, 4)
	SXTL_S(16, 5)
	SXTL2_S(17, 5)
	VLD1 (R10), [V24.S4, V25.S4]
	MLA_S(0, 16, 24)
	MLA_S(1, 17, 25)
	ADD  R13, R9, R9
	ADD  R5, R10, R10
	SUB  $1, R12, R12
	CBNZ R12, dkx8
	ADD  R14, R8, R8
	SUB  $1, R11, R11
	CBNZ R11, dky8
	ADD  R7<<2, R2, R19
	VST1 [V0.S4, V1.S4], (R19)
	ADD  $8, R7, R7
	B    dblk8

dpixdone:
	MOVD dwS8Args_pixStep(R0), R19
	ADD  R19, R1, R1
	ADD  R5, R2, R2
	SUB  $1, R6, R6
	CBNZ R6, dpix
	RET
