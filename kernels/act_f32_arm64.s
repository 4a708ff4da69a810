//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Vector sigmoid and swish for arm64 NEON (see act_f32_amd64.s for the
// method). Instructions the Go assembler lacks are encoded with WORD;
// operands of those macros are register numbers.

#define FMAXV(d, n, m) WORD $(0x4E20F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMINV(d, n, m) WORD $(0x4EA0F400 | ((m)<<16) | ((n)<<5) | (d))
#define FMULV(d, n, m) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FADDV(d, n, m) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FDIVV(d, n, m) WORD $(0x6E20FC00 | ((m)<<16) | ((n)<<5) | (d))
#define FNEGV(d, n) WORD $(0x6EA0F800 | ((n)<<5) | (d))
#define FRINTMV(d, n) WORD $(0x4E219800 | ((n)<<5) | (d))
#define FCVTZSV(d, n) WORD $(0x4EA1B800 | ((n)<<5) | (d))

// Constants, each repeated 4 times, loaded into V16–V31 in this order:
// lo, hi, log2e, 1/2, c1, c2, p0–p5, 1, 127 (int32), padding.
DATA actF32KN<>+0(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32KN<>+8(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32KN<>+16(SB)/8, $0x42b1721742b17217
DATA actF32KN<>+24(SB)/8, $0x42b1721742b17217
DATA actF32KN<>+32(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32KN<>+40(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32KN<>+48(SB)/8, $0x3f0000003f000000
DATA actF32KN<>+56(SB)/8, $0x3f0000003f000000
DATA actF32KN<>+64(SB)/8, $0x3f3180003f318000
DATA actF32KN<>+72(SB)/8, $0x3f3180003f318000
DATA actF32KN<>+80(SB)/8, $0xb95e8083b95e8083
DATA actF32KN<>+88(SB)/8, $0xb95e8083b95e8083
DATA actF32KN<>+96(SB)/8, $0x3950696739506967
DATA actF32KN<>+104(SB)/8, $0x3950696739506967
DATA actF32KN<>+112(SB)/8, $0x3ab743ce3ab743ce
DATA actF32KN<>+120(SB)/8, $0x3ab743ce3ab743ce
DATA actF32KN<>+128(SB)/8, $0x3c0889083c088908
DATA actF32KN<>+136(SB)/8, $0x3c0889083c088908
DATA actF32KN<>+144(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32KN<>+152(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32KN<>+160(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32KN<>+168(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32KN<>+176(SB)/8, $0x3f0000003f000000
DATA actF32KN<>+184(SB)/8, $0x3f0000003f000000
DATA actF32KN<>+192(SB)/8, $0x3f8000003f800000
DATA actF32KN<>+200(SB)/8, $0x3f8000003f800000
DATA actF32KN<>+208(SB)/8, $0x7f0000007f
DATA actF32KN<>+216(SB)/8, $0x7f0000007f
DATA actF32KN<>+224(SB)/8, $0x0
DATA actF32KN<>+232(SB)/8, $0x0
DATA actF32KN<>+240(SB)/8, $0x0
DATA actF32KN<>+248(SB)/8, $0x0
GLOBL actF32KN<>(SB), RODATA|NOPTR, $256

// SIGMOID_N: V4 = sigmoid(V0); V1–V6 temporaries. FMAX/FMIN keep NaNs.
// Horner steps alternate V4 and V5 because FMLA adds into its destination.
#define SIGMOID_N \
	FNEGV(1, 0);                  \
	FMAXV(1, 1, 16);              \
	FMINV(1, 1, 17);              \
	VMOV  V19.B16, V2.B16;        \
	VFMLA V18.S4, V1.S4, V2.S4;   \
	FRINTMV(3, 2);                \
	VFMLS V20.S4, V3.S4, V1.S4;   \
	VFMLS V21.S4, V3.S4, V1.S4;   \
	FMULV(2, 1, 1);               \
	VMOV  V23.B16, V5.B16;        \
	VFMLA V22.S4, V1.S4, V5.S4;   \
	VMOV  V24.B16, V4.B16;        \
	VFMLA V5.S4, V1.S4, V4.S4;    \
	VMOV  V25.B16, V5.B16;        \
	VFMLA V4.S4, V1.S4, V5.S4;    \
	VMOV  V26.B16, V4.B16;        \
	VFMLA V5.S4, V1.S4, V4.S4;    \
	VMOV  V27.B16, V5.B16;        \
	VFMLA V4.S4, V1.S4, V5.S4;    \
	VMOV  V1.B16, V4.B16;         \
	VFMLA V5.S4, V2.S4, V4.S4;    \
	FADDV(4, 4, 28);              \
	FCVTZSV(6, 3);                \
	VADD  V29.S4, V6.S4, V6.S4;   \
	VSHL  $23, V6.S4, V6.S4;      \
	FMULV(4, 4, 6);               \
	FADDV(4, 4, 28);              \
	FDIVV(4, 28, 4)

// func actF32_neon(p *actF32Args)
//
// Rows of n floats (a multiple of 4), ld bytes apart, in place; kind is
// f32ActSigmoid or f32ActSwish. General registers: R19 = p; R0 = row;
// R1 = element; R2 = floats left in the row; R3 = rows left; R4 = ld.
TEXT ·actF32_neon(SB), NOSPLIT, $0-8
	MOVD   p+0(FP), R19
	MOVD   $actF32KN<>(SB), R0
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R0), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R0), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P 64(R0), [V28.S4, V29.S4, V30.S4, V31.S4]
	MOVD   actF32Args_x(R19), R0
	MOVD   actF32Args_rows(R19), R3
	MOVD   actF32Args_ld(R19), R4
	MOVD   actF32Args_kind(R19), R5
	CMP    $const_f32ActSwish, R5
	BEQ    swishrow

sigrow:
	MOVD   R0, R1
	MOVD   actF32Args_n(R19), R2

sigloop:
	VLD1   (R1), [V0.S4]
	SIGMOID_N
	VST1.P [V4.S4], 16(R1)
	SUBS   $4, R2
	BNE    sigloop
	ADD    R4, R0
	SUBS   $1, R3
	BNE    sigrow
	RET

swishrow:
	MOVD   R0, R1
	MOVD   actF32Args_n(R19), R2

swishloop:
	VLD1   (R1), [V0.S4]
	SIGMOID_N
	FMULV(4, 4, 0)
	VST1.P [V4.S4], 16(R1)
	SUBS   $4, R2
	BNE    swishloop
	ADD    R4, R0
	SUBS   $1, R3
	BNE    swishrow
	RET
