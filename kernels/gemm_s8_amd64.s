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
