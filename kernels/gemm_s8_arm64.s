//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Int8 GEMM dot kernels for arm64 (see gemmS8Args and the layouts in
// gemm_s8_dot.go).
//
// The Go assembler lacks these instructions, so they are encoded with WORD
// (operands are register numbers; encodings from the Arm ARM, A64 Advanced
// SIMD "three different" / "shift by immediate" / "three same" classes):
//
//	SDOT   Vd.4S, Vn.16B, Vm.16B  0 1 0 01110 10 0 Rm 100101 Rn Rd  = 0x4E809400  (FEAT_DotProd, vector form)
//	SMLAL  Vd.4S, Vn.4H, Vm.4H    0 0 0 01110 01 1 Rm 100000 Rn Rd  = 0x0E608000
//	SMLAL2 Vd.4S, Vn.8H, Vm.8H    0 1 0 01110 01 1 Rm 100000 Rn Rd  = 0x4E608000
//	SXTL   Vd.8H, Vn.8B  (SSHLL #0)   0 0 0 011110 0001 000 101001 Rn Rd = 0x0F08A400
//	SXTL2  Vd.8H, Vn.16B (SSHLL2 #0)  0 1 0 011110 0001 000 101001 Rn Rd = 0x4F08A400
//	ADDP   Vd.4S, Vn.4S, Vm.4S    0 1 0 01110 10 1 Rm 101111 Rn Rd  = 0x4EA0BC00
//
// e.g. sdot v0.4s, v1.16b, v2.16b = 0x4E829420, smlal v0.4s, v1.4h,
// v2.4h = 0x0E628020, sxtl v0.8h, v1.8b = 0x0F08A420.
#define SDOT(d, n, m) WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL(d, n, m) WORD $(0x0E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SMLAL2(d, n, m) WORD $(0x4E608000 | ((m)<<16) | ((n)<<5) | (d))
#define SXTL(d, n) WORD $(0x0F08A400 | ((n)<<5) | (d))
#define SXTL2(d, n) WORD $(0x4F08A400 | ((n)<<5) | (d))
#define ADDP(d, n, m) WORD $(0x4EA0BC00 | ((m)<<16) | ((n)<<5) | (d))

// Register use of both kernels: R0 = p; R1–R4 = A rows; R6–R9 = A rows at
// the block; R5 = panel; R11 = block in the panel; R10 = acc column; R12 =
// ldacc; R13 = panels left; R14 = blocks left; R15, R16 temporaries.
// acc[i][j] in V(2i+j) (four int32 partial sums each); A rows in V8–V11.

#define ZERO_ACC \
	VEOR V0.B16, V0.B16, V0.B16; \
	VEOR V1.B16, V1.B16, V1.B16; \
	VEOR V2.B16, V2.B16, V2.B16; \
	VEOR V3.B16, V3.B16, V3.B16; \
	VEOR V4.B16, V4.B16, V4.B16; \
	VEOR V5.B16, V5.B16, V5.B16; \
	VEOR V6.B16, V6.B16, V6.B16; \
	VEOR V7.B16, V7.B16, V7.B16

#define LOAD_A16 \
	VLD1.P 16(R6), [V8.B16];  \
	VLD1.P 16(R7), [V9.B16];  \
	VLD1.P 16(R8), [V10.B16]; \
	VLD1.P 16(R9), [V11.B16]

// 8 bytes of A each (the scalar load zeroes the upper half).
#define LOAD_A8 \
	FMOVD (R6), F8;  \
	FMOVD (R7), F9;  \
	FMOVD (R8), F10; \
	FMOVD (R9), F11

// Reduce and store: X16 = [acc00, acc01, acc10, acc11], V18 rows 2, 3.
#define REDUCE_STORE \
	ADDP(16, 0, 1);               \
	ADDP(17, 2, 3);               \
	ADDP(16, 16, 17);             \
	ADDP(18, 4, 5);               \
	ADDP(19, 6, 7);               \
	ADDP(18, 18, 19);             \
	FMOVD F16, (R10);             \
	VMOV  V16.D[1], R15;          \
	MOVD  R15, (R10)(R12);        \
	ADD   R12<<1, R10, R16;       \
	FMOVD F18, (R16);             \
	VMOV  V18.D[1], R15;          \
	MOVD  R15, (R16)(R12);        \
	ADD   $8, R10, R10

#define LOAD_ARGS \
	MOVD p+0(FP), R0;                \
	MOVD gemmS8Args_a+0(R0), R1;     \
	MOVD gemmS8Args_a+8(R0), R2;     \
	MOVD gemmS8Args_a+16(R0), R3;    \
	MOVD gemmS8Args_a+24(R0), R4;    \
	MOVD gemmS8Args_b(R0), R5;       \
	MOVD gemmS8Args_acc(R0), R10;    \
	MOVD gemmS8Args_ldacc(R0), R12;  \
	MOVD gemmS8Args_np(R0), R13

#define PANEL_START \
	ZERO_ACC;                    \
	MOVD R1, R6;                 \
	MOVD R2, R7;                 \
	MOVD R3, R8;                 \
	MOVD R4, R9;                 \
	MOVD R5, R11;                \
	MOVD gemmS8Args_k16(R0), R14

// One 16-k block of the s16 layout for row i (A in V(8+i)): V12, V13 =
// column 0 (k 0–7, 8–15), V14, V15 = column 1.
#define ROW_S16(i, t) \
	SXTL(t, 8+(i));             \
	SXTL2(t+1, 8+(i));          \
	SMLAL(2*(i), t, 12);        \
	SMLAL2(2*(i), t, 12);       \
	SMLAL(2*(i)+1, t, 14);      \
	SMLAL2(2*(i)+1, t, 14);     \
	SMLAL(2*(i), t+1, 13);      \
	SMLAL2(2*(i), t+1, 13);     \
	SMLAL(2*(i)+1, t+1, 15);    \
	SMLAL2(2*(i)+1, t+1, 15)

#define BLOCK_S16 \
	VLD1.P 64(R11), [V12.H8, V13.H8, V14.H8, V15.H8]; \
	ROW_S16(0, 16);                                    \
	ROW_S16(1, 18);                                    \
	ROW_S16(2, 20);                                    \
	ROW_S16(3, 22)

// func dotS8_4x2_neon(p *gemmS8Args)
TEXT ·dotS8_4x2_neon(SB), NOSPLIT, $0-8
	LOAD_ARGS

neon_panel:
	PANEL_START
	CBZ R14, neon_tail8

neon_loop16:
	LOAD_A16
	BLOCK_S16
	SUB  $1, R14, R14
	CBNZ R14, neon_loop16

neon_tail8:
	MOVD gemmS8Args_k8(R0), R15
	CBZ  R15, neon_reduce
	LOAD_A8
	BLOCK_S16

neon_reduce:
	REDUCE_STORE
	MOVD gemmS8Args_bps(R0), R15
	ADD  R15, R5, R5
	SUB  $1, R13, R13
	CBNZ R13, neon_panel
	RET

// One 16-k block of the s8 layout: V12 = column 0, V13 = column 1.
#define BLOCK_S8 \
	VLD1.P 32(R11), [V12.B16, V13.B16]; \
	SDOT(0, 8, 12);                      \
	SDOT(1, 8, 13);                      \
	SDOT(2, 9, 12);                      \
	SDOT(3, 9, 13);                      \
	SDOT(4, 10, 12);                     \
	SDOT(5, 10, 13);                     \
	SDOT(6, 11, 12);                     \
	SDOT(7, 11, 13)

// func dotS8_4x2_sdot(p *gemmS8Args)
TEXT ·dotS8_4x2_sdot(SB), NOSPLIT, $0-8
	LOAD_ARGS

sdot_panel:
	PANEL_START
	CBZ R14, sdot_tail8

sdot_loop16:
	LOAD_A16
	BLOCK_S8
	SUB  $1, R14, R14
	CBNZ R14, sdot_loop16

sdot_tail8:
	MOVD gemmS8Args_k8(R0), R15
	CBZ  R15, sdot_reduce
	LOAD_A8
	BLOCK_S8

sdot_reduce:
	REDUCE_STORE
	MOVD gemmS8Args_bps(R0), R15
	ADD  R15, R5, R5
	SUB  $1, R13, R13
	CBNZ R13, sdot_panel
	RET
