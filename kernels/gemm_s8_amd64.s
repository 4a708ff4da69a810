//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Int8 GEMM dot kernel for amd64 AVX2 (see gemmS8Args and the layouts in
// gemm_s8_dot.go).

// One 16-k block: A rows (sign-extended to int16) in Y8–Y11, the panel's
// two columns (int16) from (R11) and 32(R11); acc[i][j] in Y(2i+j).
// VPMADDWD multiplies int16 pairs into int32 sums (no saturation: |a·w| <=
// 128·255), VPADDD accumulates.
#define BLOCK \
	VMOVDQU  (R11), Y12;     \
	VPMADDWD Y12, Y8, Y13;   \
	VPADDD   Y13, Y0, Y0;    \
	VPMADDWD Y12, Y9, Y13;   \
	VPADDD   Y13, Y2, Y2;    \
	VPMADDWD Y12, Y10, Y13;  \
	VPADDD   Y13, Y4, Y4;    \
	VPMADDWD Y12, Y11, Y13;  \
	VPADDD   Y13, Y6, Y6;    \
	VMOVDQU  32(R11), Y12;   \
	VPMADDWD Y12, Y8, Y13;   \
	VPADDD   Y13, Y1, Y1;    \
	VPMADDWD Y12, Y9, Y13;   \
	VPADDD   Y13, Y3, Y3;    \
	VPMADDWD Y12, Y10, Y13;  \
	VPADDD   Y13, Y5, Y5;    \
	VPMADDWD Y12, Y11, Y13;  \
	VPADDD   Y13, Y7, Y7

// func dotS8_4x2_avx2(p *gemmS8Args)
//
// General registers: R13 = p; SI DI R8 R9 = A rows; AX = k offset in
// bytes; BX = panel; R11 = block in the panel; DX = acc column; R10 =
// ldacc; R12 = panels left; CX = blocks left.
TEXT ·dotS8_4x2_avx2(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ gemmS8Args_a+0(R13), SI
	MOVQ gemmS8Args_a+8(R13), DI
	MOVQ gemmS8Args_a+16(R13), R8
	MOVQ gemmS8Args_a+24(R13), R9
	MOVQ gemmS8Args_b(R13), BX
	MOVQ gemmS8Args_acc(R13), DX
	MOVQ gemmS8Args_ldacc(R13), R10
	MOVQ gemmS8Args_np(R13), R12

panel:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	XORQ  AX, AX
	MOVQ  BX, R11
	MOVQ  gemmS8Args_k16(R13), CX
	TESTQ CX, CX
	JZ    tail8

loop16:
	VPMOVSXBW (SI)(AX*1), Y8
	VPMOVSXBW (DI)(AX*1), Y9
	VPMOVSXBW (R8)(AX*1), Y10
	VPMOVSXBW (R9)(AX*1), Y11
	BLOCK
	ADDQ      $16, AX
	ADDQ      $64, R11
	DECQ      CX
	JNZ       loop16

tail8:
	// 8 k: the 128-bit VPMOVSXBW zeroes the upper lanes of A, and the
	// padded weights of k past kc are zero.
	CMPQ gemmS8Args_k8(R13), $0
	JEQ  reduce
	VPMOVSXBW (SI)(AX*1), X8
	VPMOVSXBW (DI)(AX*1), X9
	VPMOVSXBW (R8)(AX*1), X10
	VPMOVSXBW (R9)(AX*1), X11
	BLOCK

reduce:
	// Rows 0, 1: [acc00, acc01, acc10, acc11] in X0; rows 2, 3 in X4.
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPHADDD      Y5, Y4, Y4
	VPHADDD      Y7, Y6, Y6
	VPHADDD      Y6, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD       X5, X4, X4
	MOVQ         X0, (DX)
	VPEXTRQ      $1, X0, (DX)(R10*1)
	LEAQ         (DX)(R10*2), R14
	MOVQ         X4, (R14)
	VPEXTRQ      $1, X4, (R14)(R10*1)
	ADDQ         $8, DX
	ADDQ         gemmS8Args_bps(R13), BX
	DECQ         R12
	JNZ          panel
	VZEROUPPER
	RET

// BLOCK with VPDPWSSD: acc += pairwise int16 products, summed in int32.
#define BLOCK_VNNI \
	VMOVDQU  (R11), Y12;    \
	VPDPWSSD Y12, Y8, Y0;   \
	VPDPWSSD Y12, Y9, Y2;   \
	VPDPWSSD Y12, Y10, Y4;  \
	VPDPWSSD Y12, Y11, Y6;  \
	VMOVDQU  32(R11), Y12;  \
	VPDPWSSD Y12, Y8, Y1;   \
	VPDPWSSD Y12, Y9, Y3;   \
	VPDPWSSD Y12, Y10, Y5;  \
	VPDPWSSD Y12, Y11, Y7

// func dotS8_4x2_vnni(p *gemmS8Args)
//
// dotS8_4x2_avx2 with VPDPWSSD (AVX512_VNNI on 256-bit registers,
// AVX512VL): the multiply of int16 pairs and the accumulation in one
// instruction, wrapping like VPADDD (not the saturating VPDPWSSDS).
//
// General registers: R13 = p; SI DI R8 R9 = A rows; AX = k offset in
// bytes; BX = panel; R11 = block in the panel; DX = acc column; R10 =
// ldacc; R12 = panels left; CX = blocks left.
TEXT ·dotS8_4x2_vnni(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ gemmS8Args_a+0(R13), SI
	MOVQ gemmS8Args_a+8(R13), DI
	MOVQ gemmS8Args_a+16(R13), R8
	MOVQ gemmS8Args_a+24(R13), R9
	MOVQ gemmS8Args_b(R13), BX
	MOVQ gemmS8Args_acc(R13), DX
	MOVQ gemmS8Args_ldacc(R13), R10
	MOVQ gemmS8Args_np(R13), R12

vpanel:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	XORQ  AX, AX
	MOVQ  BX, R11
	MOVQ  gemmS8Args_k16(R13), CX
	TESTQ CX, CX
	JZ    vtail8

vloop16:
	VPMOVSXBW (SI)(AX*1), Y8
	VPMOVSXBW (DI)(AX*1), Y9
	VPMOVSXBW (R8)(AX*1), Y10
	VPMOVSXBW (R9)(AX*1), Y11
	BLOCK_VNNI
	ADDQ      $16, AX
	ADDQ      $64, R11
	DECQ      CX
	JNZ       vloop16

vtail8:
	// 8 k: the 128-bit VPMOVSXBW zeroes the upper lanes of A, and the
	// padded weights of k past kc are zero.
	CMPQ gemmS8Args_k8(R13), $0
	JEQ  vreduce
	VPMOVSXBW (SI)(AX*1), X8
	VPMOVSXBW (DI)(AX*1), X9
	VPMOVSXBW (R8)(AX*1), X10
	VPMOVSXBW (R9)(AX*1), X11
	BLOCK_VNNI

vreduce:
	// Rows 0, 1: [acc00, acc01, acc10, acc11] in X0; rows 2, 3 in X4.
	VPHADDD      Y1, Y0, Y0
	VPHADDD      Y3, Y2, Y2
	VPHADDD      Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPHADDD      Y5, Y4, Y4
	VPHADDD      Y7, Y6, Y6
	VPHADDD      Y6, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD       X5, X4, X4
	MOVQ         X0, (DX)
	VPEXTRQ      $1, X0, (DX)(R10*1)
	LEAQ         (DX)(R10*2), R14
	MOVQ         X4, (R14)
	VPEXTRQ      $1, X4, (R14)(R10*1)
	ADDQ         $8, DX
	ADDQ         gemmS8Args_bps(R13), BX
	DECQ         R12
	JNZ          vpanel
	VZEROUPPER
	RET

// Broadcast kernels (gemm_s8_bcast.go): A rows in SI DI R8 R9 R10 R12;
// BX = panel; R11 = pair in the panel; AX = k offset in bytes; CX = pairs
// left; DX = acc column; R14 = ldacc. acc[i] columns 0–7 in Y(2i), 8–15
// in Y(2i+1); the pair's weights in Y12, Y13; A broadcast in Y14.

#define BC_ZERO \
	VPXOR Y0, Y0, Y0;    \
	VPXOR Y1, Y1, Y1;    \
	VPXOR Y2, Y2, Y2;    \
	VPXOR Y3, Y3, Y3;    \
	VPXOR Y4, Y4, Y4;    \
	VPXOR Y5, Y5, Y5;    \
	VPXOR Y6, Y6, Y6;    \
	VPXOR Y7, Y7, Y7;    \
	VPXOR Y8, Y8, Y8;    \
	VPXOR Y9, Y9, Y9;    \
	VPXOR Y10, Y10, Y10; \
	VPXOR Y11, Y11, Y11

#define BC_ARGS \
	MOVQ p+0(FP), R13;                   \
	MOVQ gemmS8BcastArgs_a+0(R13), SI;   \
	MOVQ gemmS8BcastArgs_a+8(R13), DI;   \
	MOVQ gemmS8BcastArgs_a+16(R13), R8;  \
	MOVQ gemmS8BcastArgs_a+24(R13), R9;  \
	MOVQ gemmS8BcastArgs_a+32(R13), R10; \
	MOVQ gemmS8BcastArgs_a+40(R13), R12; \
	MOVQ gemmS8BcastArgs_b(R13), BX;     \
	MOVQ gemmS8BcastArgs_acc(R13), DX;   \
	MOVQ gemmS8BcastArgs_ldacc(R13), R14

#define BC_STORE \
	VMOVDQU Y0, (DX);             \
	VMOVDQU Y1, 32(DX);           \
	VMOVDQU Y2, (DX)(R14*1);      \
	VMOVDQU Y3, 32(DX)(R14*1);    \
	LEAQ    (DX)(R14*2), CX;      \
	VMOVDQU Y4, (CX);             \
	VMOVDQU Y5, 32(CX);           \
	VMOVDQU Y6, (CX)(R14*1);      \
	VMOVDQU Y7, 32(CX)(R14*1);    \
	LEAQ    (CX)(R14*2), CX;      \
	VMOVDQU Y8, (CX);             \
	VMOVDQU Y9, 32(CX);           \
	VMOVDQU Y10, (CX)(R14*1);     \
	VMOVDQU Y11, 32(CX)(R14*1);   \
	ADDQ    $64, DX

// One row against the pair: broadcast (a[k], a[k+1]) as int16 into every
// int32 lane, multiply-add with both weight registers.
#define BC_ROW_VNNI(ptr, acc0, acc1) \
	VPBROADCASTW (ptr)(AX*1), X14; \
	VPMOVSXBW    X14, Y14;         \
	VPDPWSSD     Y12, Y14, acc0;   \
	VPDPWSSD     Y13, Y14, acc1

#define BC_ODD_VNNI(ptr, acc0, acc1) \
	VPBROADCASTB (ptr)(AX*1), X14; \
	VPMOVSXBW    X14, Y14;         \
	VPDPWSSD     Y12, Y14, acc0;   \
	VPDPWSSD     Y13, Y14, acc1

#define BC_PAIR_VNNI(ROW) \
	VMOVDQU (R11), Y12;    \
	VMOVDQU 32(R11), Y13;  \
	ROW(SI, Y0, Y1);       \
	ROW(DI, Y2, Y3);       \
	ROW(R8, Y4, Y5);       \
	ROW(R9, Y6, Y7);       \
	ROW(R10, Y8, Y9);      \
	ROW(R12, Y10, Y11)

// func gemmS8Bcast_6x16_vnni(p *gemmS8BcastArgs)
TEXT ·gemmS8Bcast_6x16_vnni(SB), NOSPLIT, $0-8
	BC_ARGS

bv_panel:
	BC_ZERO
	XORQ  AX, AX
	MOVQ  BX, R11
	MOVQ  gemmS8BcastArgs_kp(R13), CX
	TESTQ CX, CX
	JZ    bv_odd

bv_loop:
	BC_PAIR_VNNI(BC_ROW_VNNI)
	ADDQ $2, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  bv_loop

bv_odd:
	CMPQ gemmS8BcastArgs_kodd(R13), $0
	JEQ  bv_store
	BC_PAIR_VNNI(BC_ODD_VNNI)

bv_store:
	BC_STORE
	ADDQ gemmS8BcastArgs_bps(R13), BX
	DECQ gemmS8BcastArgs_np(R13)
	JNZ  bv_panel
	VZEROUPPER
	RET

// AVX2: VPMADDWD into Y15, then VPADDD.
#define BC_ROW_AVX2(ptr, acc0, acc1) \
	VPBROADCASTW (ptr)(AX*1), X14; \
	VPMOVSXBW    X14, Y14;         \
	VPMADDWD     Y12, Y14, Y15;    \
	VPADDD       Y15, acc0, acc0;  \
	VPMADDWD     Y13, Y14, Y15;    \
	VPADDD       Y15, acc1, acc1

#define BC_ODD_AVX2(ptr, acc0, acc1) \
	VPBROADCASTB (ptr)(AX*1), X14; \
	VPMOVSXBW    X14, Y14;         \
	VPMADDWD     Y12, Y14, Y15;    \
	VPADDD       Y15, acc0, acc0;  \
	VPMADDWD     Y13, Y14, Y15;    \
	VPADDD       Y15, acc1, acc1

// func gemmS8Bcast_6x16_avx2(p *gemmS8BcastArgs)
TEXT ·gemmS8Bcast_6x16_avx2(SB), NOSPLIT, $0-8
	BC_ARGS

ba_panel:
	BC_ZERO
	XORQ  AX, AX
	MOVQ  BX, R11
	MOVQ  gemmS8BcastArgs_kp(R13), CX
	TESTQ CX, CX
	JZ    ba_odd

ba_loop:
	BC_PAIR_VNNI(BC_ROW_AVX2)
	ADDQ $2, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  ba_loop

ba_odd:
	CMPQ gemmS8BcastArgs_kodd(R13), $0
	JEQ  ba_store
	BC_PAIR_VNNI(BC_ODD_AVX2)

ba_store:
	BC_STORE
	ADDQ gemmS8BcastArgs_bps(R13), BX
	DECQ gemmS8BcastArgs_np(R13)
	JNZ  ba_panel
	VZEROUPPER
	RET

// u8 broadcast kernel (gemm_s8_bcast.go): registers as the broadcast
// kernels; Y15 = 0x80 in every byte; the quad's weights in Y12, Y13.
#define BU_ROW(ptr, acc0, acc1) \
	VPBROADCASTD (ptr)(AX*1), Y14; \
	VPXOR        Y15, Y14, Y14;    \
	VPDPBUSD     Y12, Y14, acc0;   \
	VPDPBUSD     Y13, Y14, acc1

#define BU_QUAD \
	VMOVDQU (R11), Y12;     \
	VMOVDQU 32(R11), Y13;   \
	BU_ROW(SI, Y0, Y1);     \
	BU_ROW(DI, Y2, Y3);     \
	BU_ROW(R8, Y4, Y5);     \
	BU_ROW(R9, Y6, Y7);     \
	BU_ROW(R10, Y8, Y9);    \
	BU_ROW(R12, Y10, Y11)

#define BU_ROWS(off) \
	MOVQ (off+0)(R13), SI;   \
	MOVQ (off+8)(R13), DI;   \
	MOVQ (off+16)(R13), R8;  \
	MOVQ (off+24)(R13), R9;  \
	MOVQ (off+32)(R13), R10; \
	MOVQ (off+40)(R13), R12

// func gemmS8BcastU8_6x16_vnni(p *gemmS8BcastU8Args)
TEXT ·gemmS8BcastU8_6x16_vnni(SB), NOSPLIT, $0-8
	MOVQ         p+0(FP), R13
	MOVQ         gemmS8BcastU8Args_b(R13), BX
	MOVQ         gemmS8BcastU8Args_acc(R13), DX
	MOVQ         gemmS8BcastU8Args_ldacc(R13), R14
	MOVL         $0x80808080, AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15

bu_panel:
	// Accumulators start from the panel's corrections −128·Σ w'.
	VMOVDQU (BX), Y0
	VMOVDQU 32(BX), Y1
	VMOVDQA Y0, Y2
	VMOVDQA Y1, Y3
	VMOVDQA Y0, Y4
	VMOVDQA Y1, Y5
	VMOVDQA Y0, Y6
	VMOVDQA Y1, Y7
	VMOVDQA Y0, Y8
	VMOVDQA Y1, Y9
	VMOVDQA Y0, Y10
	VMOVDQA Y1, Y11
	BU_ROWS(gemmS8BcastU8Args_a)
	XORQ  AX, AX
	LEAQ  64(BX), R11
	MOVQ  gemmS8BcastU8Args_kq(R13), CX
	TESTQ CX, CX
	JZ    bu_tail

bu_loop:
	BU_QUAD
	ADDQ $4, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  bu_loop

bu_tail:
	CMPQ gemmS8BcastU8Args_kt(R13), $0
	JEQ  bu_store
	BU_ROWS(gemmS8BcastU8Args_t)
	XORQ AX, AX
	BU_QUAD

bu_store:
	BC_STORE
	ADDQ gemmS8BcastU8Args_bps(R13), BX
	DECQ gemmS8BcastU8Args_np(R13)
	JNZ  bu_panel
	VZEROUPPER
	RET

// Float requantization of row i's 16 sums (acc0, acc1) into 16 bytes at
// (ptr): + bias (R14), float32, · scale (DI), clamp [Y12, Y13], round to
// nearest even, + zp (Y14), saturate to int8 (values are in range).
#define BF_ROW(acc0, acc1, ptr) \
	VPADDD    (R14), acc0, acc0;   \
	VPADDD    32(R14), acc1, acc1; \
	VCVTDQ2PS acc0, acc0;          \
	VCVTDQ2PS acc1, acc1;          \
	VMULPS    (DI), acc0, acc0;    \
	VMULPS    32(DI), acc1, acc1;  \
	VMAXPS    Y12, acc0, acc0;     \
	VMAXPS    Y12, acc1, acc1;     \
	VMINPS    Y13, acc0, acc0;     \
	VMINPS    Y13, acc1, acc1;     \
	VCVTPS2DQ acc0, acc0;          \
	VCVTPS2DQ acc1, acc1;          \
	VPADDD    Y14, acc0, acc0;     \
	VPADDD    Y14, acc1, acc1;     \
	VPMOVSDB  acc0, X15;           \
	MOVQ      X15, (ptr);          \
	VPMOVSDB  acc1, X15;           \
	MOVQ      X15, 8(ptr)

// BF_ROW without the float clamp (gemmS8Epi.noClamp: the conversion cannot
// overflow and VPMOVSDB's saturation is the clamp); the two halves are
// joined in one ZMM (zacc0 is acc0's) for a single VPMOVSDB.
#define BF_ROW_NC(acc0, acc1, zacc0, ptr) \
	VPADDD       (R14), acc0, acc0;   \
	VPADDD       32(R14), acc1, acc1; \
	VCVTDQ2PS    acc0, acc0;          \
	VCVTDQ2PS    acc1, acc1;          \
	VMULPS       (DI), acc0, acc0;    \
	VMULPS       32(DI), acc1, acc1;  \
	VCVTPS2DQ    acc0, acc0;          \
	VCVTPS2DQ    acc1, acc1;          \
	VPADDD       Y14, acc0, acc0;     \
	VPADDD       Y14, acc1, acc1;     \
	VINSERTI64X4 $1, acc1, zacc0, zacc0; \
	VPMOVSDB     zacc0, X15;          \
	VMOVDQU      X15, (ptr)

// func gemmS8BcastU8F_6x16_vnni(p *gemmS8BcastU8Args)
//
// As gemmS8BcastU8_6x16_vnni, storing requantized int8: R14 = bias and DI
// = scales of the panel, DX = the panel's 16 columns of output row 0 (BX
// the panel; rows [0, mr) are stored: CX row, SI ldy, R12 rows left).
TEXT ·gemmS8BcastU8F_6x16_vnni(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ gemmS8BcastU8Args_b(R13), BX
	MOVQ gemmS8BcastU8Args_y(R13), DX

bf_panel:
	MOVL         $0x80808080, AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU      (BX), Y0
	VMOVDQU      32(BX), Y1
	VMOVDQA      Y0, Y2
	VMOVDQA      Y1, Y3
	VMOVDQA      Y0, Y4
	VMOVDQA      Y1, Y5
	VMOVDQA      Y0, Y6
	VMOVDQA      Y1, Y7
	VMOVDQA      Y0, Y8
	VMOVDQA      Y1, Y9
	VMOVDQA      Y0, Y10
	VMOVDQA      Y1, Y11
	BU_ROWS(gemmS8BcastU8Args_a)
	XORQ         AX, AX
	LEAQ         64(BX), R11
	MOVQ         gemmS8BcastU8Args_kq(R13), CX
	TESTQ        CX, CX
	JZ           bf_tail

bf_loop:
	BU_QUAD
	ADDQ $4, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  bf_loop

bf_tail:
	CMPQ gemmS8BcastU8Args_kt(R13), $0
	JEQ  bf_store
	BU_ROWS(gemmS8BcastU8Args_t)
	XORQ AX, AX
	BU_QUAD

bf_store:
	MOVQ         gemmS8BcastU8Args_bias(R13), R14
	MOVQ         gemmS8BcastU8Args_scale(R13), DI
	VBROADCASTSS gemmS8BcastU8Args_lo(R13), Y12
	VBROADCASTSS gemmS8BcastU8Args_hi(R13), Y13
	VPBROADCASTD gemmS8BcastU8Args_zp(R13), Y14
	MOVQ         gemmS8BcastU8Args_ldy(R13), SI
	MOVQ         gemmS8BcastU8Args_mr(R13), R12
	MOVQ         DX, CX
	BF_ROW(Y0, Y1, CX)
	DECQ         R12
	JZ           bf_next
	ADDQ         SI, CX
	BF_ROW(Y2, Y3, CX)
	DECQ         R12
	JZ           bf_next
	ADDQ         SI, CX
	BF_ROW(Y4, Y5, CX)
	DECQ         R12
	JZ           bf_next
	ADDQ         SI, CX
	BF_ROW(Y6, Y7, CX)
	DECQ         R12
	JZ           bf_next
	ADDQ         SI, CX
	BF_ROW(Y8, Y9, CX)
	DECQ         R12
	JZ           bf_next
	ADDQ         SI, CX
	BF_ROW(Y10, Y11, CX)

bf_next:
	ADDQ         $16, DX
	ADDQ         $64, gemmS8BcastU8Args_bias(R13)
	ADDQ         $64, gemmS8BcastU8Args_scale(R13)
	ADDQ         gemmS8BcastU8Args_bps(R13), BX
	DECQ         gemmS8BcastU8Args_np(R13)
	JNZ          bf_panel
	VZEROUPPER
	RET

// Row pointers of the strip at R15-free registers: SI = a, then +lda.
#define BM_ROWS \
	MOVQ gemmS8BcastMArgs_a(R13), SI;   \
	MOVQ gemmS8BcastMArgs_lda(R13), AX; \
	LEAQ (SI)(AX*1), DI;                \
	LEAQ (DI)(AX*1), R8;                \
	LEAQ (R8)(AX*1), R9;                \
	LEAQ (R9)(AX*1), R10;               \
	LEAQ (R10)(AX*1), R12

// func gemmS8BcastU8FM_6x16_vnni(p *gemmS8BcastMArgs)
//
// Strips × panels of gemmS8BcastU8F_6x16_vnni's work: BX = panel, DX =
// the panel's columns of the strip's output row 0; the panel and strip
// counters and the bias and scale pointers of the panel live in the
// argument block.
TEXT ·gemmS8BcastU8FM_6x16_vnni(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13

bm_strip:
	MOVQ gemmS8BcastMArgs_b(R13), BX
	MOVQ gemmS8BcastMArgs_y(R13), DX
	MOVQ gemmS8BcastMArgs_np(R13), AX
	MOVQ AX, gemmS8BcastMArgs_panelsLeft(R13)
	MOVQ gemmS8BcastMArgs_bias(R13), AX
	MOVQ AX, gemmS8BcastMArgs_biasP(R13)
	MOVQ gemmS8BcastMArgs_scale(R13), AX
	MOVQ AX, gemmS8BcastMArgs_scaleP(R13)

bm_panel:
	MOVL         $0x80808080, AX
	MOVQ         AX, X15
	VPBROADCASTD X15, Y15
	VMOVDQU      (BX), Y0
	VMOVDQU      32(BX), Y1
	VMOVDQA      Y0, Y2
	VMOVDQA      Y1, Y3
	VMOVDQA      Y0, Y4
	VMOVDQA      Y1, Y5
	VMOVDQA      Y0, Y6
	VMOVDQA      Y1, Y7
	VMOVDQA      Y0, Y8
	VMOVDQA      Y1, Y9
	VMOVDQA      Y0, Y10
	VMOVDQA      Y1, Y11
	BM_ROWS
	XORQ         AX, AX
	LEAQ         64(BX), R11
	MOVQ         gemmS8BcastMArgs_kq(R13), CX

bm_loop:
	BU_QUAD
	ADDQ $4, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  bm_loop

	MOVQ         gemmS8BcastMArgs_biasP(R13), R14
	MOVQ         gemmS8BcastMArgs_scaleP(R13), DI
	VBROADCASTSS gemmS8BcastMArgs_lo(R13), Y12
	VBROADCASTSS gemmS8BcastMArgs_hi(R13), Y13
	VPBROADCASTD gemmS8BcastMArgs_zp(R13), Y14
	MOVQ         gemmS8BcastMArgs_ldy(R13), SI
	MOVQ         DX, CX
	CMPQ         gemmS8BcastMArgs_noclamp(R13), $0
	JNE          bm_noclamp
	BF_ROW(Y0, Y1, CX)
	ADDQ         SI, CX
	BF_ROW(Y2, Y3, CX)
	ADDQ         SI, CX
	BF_ROW(Y4, Y5, CX)
	ADDQ         SI, CX
	BF_ROW(Y6, Y7, CX)
	ADDQ         SI, CX
	BF_ROW(Y8, Y9, CX)
	ADDQ         SI, CX
	BF_ROW(Y10, Y11, CX)
	JMP          bm_stored

bm_noclamp:
	BF_ROW_NC(Y0, Y1, Z0, CX)
	ADDQ         SI, CX
	BF_ROW_NC(Y2, Y3, Z2, CX)
	ADDQ         SI, CX
	BF_ROW_NC(Y4, Y5, Z4, CX)
	ADDQ         SI, CX
	BF_ROW_NC(Y6, Y7, Z6, CX)
	ADDQ         SI, CX
	BF_ROW_NC(Y8, Y9, Z8, CX)
	ADDQ         SI, CX
	BF_ROW_NC(Y10, Y11, Z10, CX)

bm_stored:
	ADDQ         $16, DX
	ADDQ         $64, gemmS8BcastMArgs_biasP(R13)
	ADDQ         $64, gemmS8BcastMArgs_scaleP(R13)
	ADDQ         gemmS8BcastMArgs_bps(R13), BX
	DECQ         gemmS8BcastMArgs_panelsLeft(R13)
	JNZ          bm_panel

	// Next strip: a += 6·lda, y += 6·ldy.
	MOVQ gemmS8BcastMArgs_lda(R13), AX
	LEAQ (AX)(AX*2), AX
	SHLQ $1, AX
	ADDQ AX, gemmS8BcastMArgs_a(R13)
	MOVQ gemmS8BcastMArgs_ldy(R13), AX
	LEAQ (AX)(AX*2), AX
	SHLQ $1, AX
	ADDQ AX, gemmS8BcastMArgs_y(R13)
	DECQ gemmS8BcastMArgs_strips(R13)
	JNZ  bm_strip
	VZEROUPPER
	RET

// ZMM broadcast kernel (gemmS8BcastU8FM_6x32_avx512): the work of
// gemmS8BcastU8FM_6x16_vnni on a 6×32 tile, two adjacent 16-column panels
// of the same packing (BX and BX+bps) at once. acc[i] columns 0–15 in
// Z(2i), 16–31 in Z(2i+1); the quad's weights in Z12, Z13; Z15 = 0x80 in
// every byte; VPXORD.BCST broadcasts a row's four bytes of A and flips
// their sign bits in one instruction.
#define BZ_ROW(ptr, t, acc0, acc1) \
	VPXORD.BCST (ptr)(AX*1), Z15, t; \
	VPDPBUSD    Z12, t, acc0;        \
	VPDPBUSD    Z13, t, acc1

#define BZ_QUAD \
	VMOVDQU32 (R11), Z12;           \
	VMOVDQU32 (R11)(R14*1), Z13;    \
	BZ_ROW(SI, Z14, Z0, Z1);        \
	BZ_ROW(DI, Z21, Z2, Z3);        \
	BZ_ROW(R8, Z22, Z4, Z5);        \
	BZ_ROW(R9, Z23, Z6, Z7);        \
	BZ_ROW(R10, Z24, Z8, Z9);       \
	BZ_ROW(R12, Z25, Z10, Z11)

// Float requantization of row i's 32 sums (bias already in them) into 32
// bytes at (ptr): float32, · scale (Z16, Z17), clamp [Z18, Z19], round to
// nearest even, + zp (Z20), saturate to int8. The operations and their
// operand order are BF_ROW's, so the bits are the same.
#define BZ_ROW_STORE(acc0, acc1, ptr) \
	VCVTDQ2PS acc0, acc0;    \
	VCVTDQ2PS acc1, acc1;    \
	VMULPS    Z16, acc0, acc0; \
	VMULPS    Z17, acc1, acc1; \
	VMAXPS    Z18, acc0, acc0; \
	VMAXPS    Z18, acc1, acc1; \
	VMINPS    Z19, acc0, acc0; \
	VMINPS    Z19, acc1, acc1; \
	VCVTPS2DQ acc0, acc0;    \
	VCVTPS2DQ acc1, acc1;    \
	VPADDD    Z20, acc0, acc0; \
	VPADDD    Z20, acc1, acc1; \
	VPMOVSDB  acc0, X26;     \
	VPMOVSDB  acc1, X27;     \
	VMOVDQU32 X26, (ptr);    \
	VMOVDQU32 X27, 16(ptr)

// BZ_ROW_STORE without the float clamp (gemmS8Epi.noClamp).
#define BZ_ROW_STORE_NC(acc0, acc1, ptr) \
	VCVTDQ2PS acc0, acc0;    \
	VCVTDQ2PS acc1, acc1;    \
	VMULPS    Z16, acc0, acc0; \
	VMULPS    Z17, acc1, acc1; \
	VCVTPS2DQ acc0, acc0;    \
	VCVTPS2DQ acc1, acc1;    \
	VPADDD    Z20, acc0, acc0; \
	VPADDD    Z20, acc1, acc1; \
	VPMOVSDB  acc0, X26;     \
	VPMOVSDB  acc1, X27;     \
	VMOVDQU32 X26, (ptr);    \
	VMOVDQU32 X27, 16(ptr)

// func gemmS8BcastU8FM_6x32_avx512(p *gemmS8BcastMArgs)
//
// As gemmS8BcastU8FM_6x16_vnni with np pairs of panels: BX = the pair's
// first panel, R14 = bps (the second panel at BX+R14; the pair's bias at
// AX while the accumulators start), DX = the pair's 32 columns of the
// strip's output row 0. The accumulators start from the panels'
// corrections plus the bias (int32 sums wrap the same in any order).
TEXT ·gemmS8BcastU8FM_6x32_avx512(SB), NOSPLIT, $0-8
	MOVQ         p+0(FP), R13
	MOVL         $0x80808080, AX
	VPBROADCASTD AX, Z15
	VBROADCASTSS gemmS8BcastMArgs_lo(R13), Z18
	VBROADCASTSS gemmS8BcastMArgs_hi(R13), Z19
	VPBROADCASTD gemmS8BcastMArgs_zp(R13), Z20
	MOVQ         gemmS8BcastMArgs_bps(R13), R14

bz_strip:
	MOVQ gemmS8BcastMArgs_b(R13), BX
	MOVQ gemmS8BcastMArgs_y(R13), DX
	MOVQ gemmS8BcastMArgs_np(R13), AX
	MOVQ AX, gemmS8BcastMArgs_panelsLeft(R13)
	MOVQ gemmS8BcastMArgs_bias(R13), AX
	MOVQ AX, gemmS8BcastMArgs_biasP(R13)
	MOVQ gemmS8BcastMArgs_scale(R13), AX
	MOVQ AX, gemmS8BcastMArgs_scaleP(R13)

bz_panel:
	MOVQ      gemmS8BcastMArgs_biasP(R13), AX
	VMOVDQU32 (BX), Z0
	VMOVDQU32 (BX)(R14*1), Z1
	VPADDD    (AX), Z0, Z0
	VPADDD    64(AX), Z1, Z1
	VMOVDQA32 Z0, Z2
	VMOVDQA32 Z1, Z3
	VMOVDQA32 Z0, Z4
	VMOVDQA32 Z1, Z5
	VMOVDQA32 Z0, Z6
	VMOVDQA32 Z1, Z7
	VMOVDQA32 Z0, Z8
	VMOVDQA32 Z1, Z9
	VMOVDQA32 Z0, Z10
	VMOVDQA32 Z1, Z11
	BM_ROWS
	XORQ      AX, AX
	LEAQ      64(BX), R11
	MOVQ      gemmS8BcastMArgs_kq(R13), CX

bz_loop:
	BZ_QUAD
	ADDQ $4, AX
	ADDQ $64, R11
	DECQ CX
	JNZ  bz_loop

	MOVQ      gemmS8BcastMArgs_scaleP(R13), DI
	VMOVUPS   (DI), Z16
	VMOVUPS   64(DI), Z17
	MOVQ      gemmS8BcastMArgs_ldy(R13), SI
	MOVQ      DX, CX
	CMPQ      gemmS8BcastMArgs_noclamp(R13), $0
	JNE       bz_noclamp
	BZ_ROW_STORE(Z0, Z1, CX)
	ADDQ      SI, CX
	BZ_ROW_STORE(Z2, Z3, CX)
	ADDQ      SI, CX
	BZ_ROW_STORE(Z4, Z5, CX)
	ADDQ      SI, CX
	BZ_ROW_STORE(Z6, Z7, CX)
	ADDQ      SI, CX
	BZ_ROW_STORE(Z8, Z9, CX)
	ADDQ      SI, CX
	BZ_ROW_STORE(Z10, Z11, CX)
	JMP       bz_stored

bz_noclamp:
	BZ_ROW_STORE_NC(Z0, Z1, CX)
	ADDQ SI, CX
	BZ_ROW_STORE_NC(Z2, Z3, CX)
	ADDQ SI, CX
	BZ_ROW_STORE_NC(Z4, Z5, CX)
	ADDQ SI, CX
	BZ_ROW_STORE_NC(Z6, Z7, CX)
	ADDQ SI, CX
	BZ_ROW_STORE_NC(Z8, Z9, CX)
	ADDQ SI, CX
	BZ_ROW_STORE_NC(Z10, Z11, CX)

bz_stored:
	ADDQ $32, DX
	ADDQ $128, gemmS8BcastMArgs_biasP(R13)
	ADDQ $128, gemmS8BcastMArgs_scaleP(R13)
	LEAQ (BX)(R14*2), BX
	DECQ gemmS8BcastMArgs_panelsLeft(R13)
	JNZ  bz_panel

	// Next strip: a += 6·lda, y += 6·ldy.
	MOVQ gemmS8BcastMArgs_lda(R13), AX
	LEAQ (AX)(AX*2), AX
	SHLQ $1, AX
	ADDQ AX, gemmS8BcastMArgs_a(R13)
	MOVQ gemmS8BcastMArgs_ldy(R13), AX
	LEAQ (AX)(AX*2), AX
	SHLQ $1, AX
	ADDQ AX, gemmS8BcastMArgs_y(R13)
	DECQ gemmS8BcastMArgs_strips(R13)
	JNZ  bz_strip
	VZEROUPPER
	RET
