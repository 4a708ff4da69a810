//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Vector requantization of int32 sums to int8 and int8 depthwise tap sums
// for arm64 NEON (see rqRowsArgs in requant_s8.go and dwS8Args in
// dwconv_s8_vec.go). Channels go in blocks of 8 (16 for the depthwise
// sums); the last partial block overlaps the one before (n >= 8).
//
// Instructions the Go assembler lacks are encoded with WORD (register
// numbers; Arm ARM A64 Advanced SIMD "two-register misc", "three same",
// "three different", "permute", "shift by immediate" classes):
//
//	SCVTF  Vd.4S, Vn.4S        0x4E21D800   FCVTNS Vd.4S, Vn.4S   0x4E21A800
//	FMUL   Vd.4S, Vn.4S, Vm.4S 0x6E20DC00   FMAX   .4S            0x4E20F400
//	FMIN   .4S                 0x4EA0F400   SQXTN  Vd.4H, Vn.4S   0x0E614800
//	SQXTN2 Vd.8H, Vn.4S        0x4E614800   SQXTN  Vd.8B, Vn.8H   0x0E214800
//	SMULL  Vd.2D, Vn.2S, Vm.2S 0x0EA0C000   SMULL2 (upper halves) 0x4EA0C000
//	ADD    Vd.2D               0x4EE08400   SUB    Vd.2D          0x6EE08400
//	CMLT   Vd.2D, Vn.2D, #0    0x4EE0A800   NEG    Vd.2D          0x6EE0B800
//	SSHL   Vd.2D, Vn.2D, Vm.2D 0x4EE04400   UZP1   Vd.4S          0x4E801800
//	SMAX   Vd.4S               0x4EA06400   SMIN   Vd.4S          0x4EA06C00
//	MLA    Vd.4S, Vn.4S, Vm.4S 0x4EA09400
//	SXTL   Vd.8H, Vn.8B        0x0F08A400   SXTL2  Vd.8H, Vn.16B  0x4F08A400
//	SXTL   Vd.4S, Vn.4H        0x0F10A400   SXTL2  Vd.4S, Vn.8H   0x4F10A400
#define TWO(op, d, n) WORD $((op) | ((n)<<5) | (d))
#define THREE(op, d, n, m) WORD $((op) | ((m)<<16) | ((n)<<5) | (d))
#define SCVTF(d, n) TWO(0x4E21D800, d, n)
#define FCVTNS(d, n) TWO(0x4E21A800, d, n)
#define FMULV(d, n, m) THREE(0x6E20DC00, d, n, m)
#define FMAXV(d, n, m) THREE(0x4E20F400, d, n, m)
#define FMINV(d, n, m) THREE(0x4EA0F400, d, n, m)
#define SQXTN_H(d, n) TWO(0x0E614800, d, n)
#define SQXTN2_H(d, n) TWO(0x4E614800, d, n)
#define SQXTN_B(d, n) TWO(0x0E214800, d, n)
#define SMULL_S(d, n, m) THREE(0x0EA0C000, d, n, m)
#define SMULL2_S(d, n, m) THREE(0x4EA0C000, d, n, m)
#define ADD_D(d, n, m) THREE(0x4EE08400, d, n, m)
#define SUB_D(d, n, m) THREE(0x6EE08400, d, n, m)
#define CMLT_D(d, n) TWO(0x4EE0A800, d, n)
#define NEG_D(d, n) TWO(0x6EE0B800, d, n)
#define SSHL_D(d, n, m) THREE(0x4EE04400, d, n, m)
#define UZP1_S(d, n, m) THREE(0x4E801800, d, n, m)
#define SMAX_S(d, n, m) THREE(0x4EA06400, d, n, m)
#define SMIN_S(d, n, m) THREE(0x4EA06C00, d, n, m)
#define MLA_S(d, n, m) THREE(0x4EA09400, d, n, m)
#define SXTL_H(d, n) TWO(0x0F08A400, d, n)
#define SXTL2_H(d, n) TWO(0x4F08A400, d, n)
#define SXTL_S(d, n) TWO(0x0F10A400, d, n)
#define SXTL2_S(d, n) TWO(0x4F10A400, d, n)

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
