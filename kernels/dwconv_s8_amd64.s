//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Int8 depthwise tap sums for amd64 AVX2 (see dwS8Args in
// dwconv_s8_vec.go): inputs sign-extended to int32 (VPMOVSXBD), times the
// int32 weights (VPMULLD), summed (VPADDD). Exact: |x·w| <= 128·255.

// func dwconvS8Acc_avx2(p *dwS8Args)
//
// Registers: R13 = p; SI = pixel's window; DI = pixel's sums; R10 = c;
// R11 = c−8; R9 = c·4 (weight bytes per tap); R12 = pixels left; AX =
// channel; R8 = kernel row in x; R14 = tap in x; DX = tap's weights;
// CX = rows left; BX = columns left (and a temporary).
TEXT ·dwconvS8Acc_avx2(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ dwS8Args_x(R13), SI
	MOVQ dwS8Args_acc(R13), DI
	MOVQ dwS8Args_c(R13), R10
	LEAQ -8(R10), R11
	LEAQ (R10*4), R9
	MOVQ dwS8Args_n(R13), R12

pix:
	XORQ AX, AX

blk32:
	LEAQ 32(AX), BX
	CMPQ BX, R10
	JGT  blk8
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	LEAQ (SI)(AX*1), R8
	MOVQ dwS8Args_w(R13), DX
	LEAQ (DX)(AX*4), DX
	MOVQ dwS8Args_kh(R13), CX

ky32:
	MOVQ R8, R14
	MOVQ dwS8Args_kw(R13), BX

kx32:
	VPMOVSXBD (R14), Y4
	VPMOVSXBD 8(R14), Y5
	VPMOVSXBD 16(R14), Y6
	VPMOVSXBD 24(R14), Y7
	VPMULLD   (DX), Y4, Y4
	VPMULLD   32(DX), Y5, Y5
	VPMULLD   64(DX), Y6, Y6
	VPMULLD   96(DX), Y7, Y7
	VPADDD    Y4, Y0, Y0
	VPADDD    Y5, Y1, Y1
	VPADDD    Y6, Y2, Y2
	VPADDD    Y7, Y3, Y3
	ADDQ      dwS8Args_tapX(R13), R14
	ADDQ      R9, DX
	DECQ      BX
	JNZ       kx32
	ADDQ      dwS8Args_tapY(R13), R8
	DECQ      CX
	JNZ       ky32
	VMOVDQU   Y0, (DI)(AX*4)
	VMOVDQU   Y1, 32(DI)(AX*4)
	VMOVDQU   Y2, 64(DI)(AX*4)
	VMOVDQU   Y3, 96(DI)(AX*4)
	ADDQ      $32, AX
	JMP       blk32

blk8:
	CMPQ AX, R11
	JLE  do8
	CMPQ AX, R10
	JGE  pixdone
	MOVQ R11, AX

do8:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	LEAQ  (SI)(AX*1), R8
	MOVQ  dwS8Args_w(R13), DX
	LEAQ  (DX)(AX*4), DX
	MOVQ  dwS8Args_kh(R13), CX

ky8:
	MOVQ R8, R14
	MOVQ dwS8Args_kw(R13), BX

kx8:
	VPMOVSXBD (R14), Y4
	VPMULLD   (DX), Y4, Y4
	VPADDD    Y4, Y0, Y0
	ADDQ      dwS8Args_tapX(R13), R14
	ADDQ      R9, DX
	DECQ      BX
	JNZ       kx8
	ADDQ      dwS8Args_tapY(R13), R8
	DECQ      CX
	JNZ       ky8
	VMOVDQU   Y0, (DI)(AX*4)
	ADDQ      $8, AX
	JMP       blk8

pixdone:
	ADDQ dwS8Args_pixStep(R13), SI
	ADDQ R9, DI
	DECQ R12
	JNZ  pix
	VZEROUPPER
	RET

// Pair kernels (dwS8PairArgs): R13 = p; SI = pixel's window; DI = pixel's
// sums; R10 = c; R12 = pixels left; AX = block start; DX =
// block's weights; BX = tap offsets; CX = pairs left; R8 = window at the
// block; R9, R14 = the pair's offsets; R11 = pixel's outputs (fused).
// Sums in Y0 (channels 0–3, 8–11) and Y1 (4–7, 12–15).
// Float requantization of the 16 channels at AX (sums in Y2: 0–7, Y3:
// 8–15) into 16 bytes at (R11)(AX*1): + bias, float32, · scale, clamp to
// [lo, hi], round to nearest even, + zp, packed with saturation (in range).
#define DWP_REQUANT \
	MOVQ         dwS8PairArgs_bias(R13), BX;  \
	VPADDD       (BX)(AX*4), Y2, Y2;          \
	VPADDD       32(BX)(AX*4), Y3, Y3;        \
	VCVTDQ2PS    Y2, Y2;                      \
	VCVTDQ2PS    Y3, Y3;                      \
	MOVQ         dwS8PairArgs_scale(R13), BX; \
	VMULPS       (BX)(AX*4), Y2, Y2;          \
	VMULPS       32(BX)(AX*4), Y3, Y3;        \
	VBROADCASTSS dwS8PairArgs_lo(R13), Y4;    \
	VMAXPS       Y4, Y2, Y2;                  \
	VMAXPS       Y4, Y3, Y3;                  \
	VBROADCASTSS dwS8PairArgs_hi(R13), Y4;    \
	VMINPS       Y4, Y2, Y2;                  \
	VMINPS       Y4, Y3, Y3;                  \
	VCVTPS2DQ    Y2, Y2;                      \
	VCVTPS2DQ    Y3, Y3;                      \
	VPBROADCASTD dwS8PairArgs_zp(R13), Y4;    \
	VPADDD       Y4, Y2, Y2;                  \
	VPADDD       Y4, Y3, Y3;                  \
	VPACKSSDW    Y3, Y2, Y2;                  \
	VPERMQ       $0xD8, Y2, Y2;               \
	VEXTRACTI128 $1, Y2, X3;                  \
	VPACKSSWB    X3, X2, X2;                  \
	VMOVDQU      X2, (R11)(AX*1)

#define DWP_PAIR_VNNI \
	VPMOVSXBW  (R8)(R9*1), Y4;   \
	VPMOVSXBW  (R8)(R14*1), Y5;  \
	VPUNPCKLWD Y5, Y4, Y6;       \
	VPUNPCKHWD Y5, Y4, Y7;       \
	VPDPWSSD   (DX), Y6, Y0;     \
	VPDPWSSD   32(DX), Y7, Y1

#define DWP_PAIR_AVX2 \
	VPMOVSXBW  (R8)(R9*1), Y4;   \
	VPMOVSXBW  (R8)(R14*1), Y5;  \
	VPUNPCKLWD Y5, Y4, Y6;       \
	VPUNPCKHWD Y5, Y4, Y7;       \
	VPMADDWD   (DX), Y6, Y6;     \
	VPADDD     Y6, Y0, Y0;       \
	VPMADDWD   32(DX), Y7, Y7;   \
	VPADDD     Y7, Y1, Y1

// func dwconvS8Pairs_vnni(p *dwS8PairArgs)
TEXT ·dwconvS8Pairs_vnni(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ dwS8PairArgs_x(R13), SI
	MOVQ dwS8PairArgs_acc(R13), DI
	MOVQ dwS8PairArgs_c(R13), R10
	MOVQ dwS8PairArgs_n(R13), R12
	MOVQ dwS8PairArgs_y(R13), R11

pv_pix:
	XORQ AX, AX
	MOVQ dwS8PairArgs_w(R13), DX

pv_blk:
	LEAQ -16(R10), BX
	CMPQ AX, BX
	JLE  pv_do
	CMPQ AX, R10
	JGE  pv_pixdone
	MOVQ BX, AX

pv_do:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	LEAQ (SI)(AX*1), R8
	MOVQ dwS8PairArgs_offs(R13), BX
	MOVQ dwS8PairArgs_pairs(R13), CX

pv_pair:
	MOVQ (BX), R9
	MOVQ 8(BX), R14
	DWP_PAIR_VNNI
	ADDQ $16, BX
	ADDQ $64, DX
	DECQ CX
	JNZ  pv_pair
	VPERM2I128 $0x20, Y1, Y0, Y2
	VPERM2I128 $0x31, Y1, Y0, Y3
	CMPQ dwS8PairArgs_fused(R13), $0
	JNE  pv_fused
	VMOVDQU Y2, (DI)(AX*4)
	VMOVDQU Y3, 32(DI)(AX*4)
	ADDQ $16, AX
	JMP  pv_blk

pv_fused:
	DWP_REQUANT
	ADDQ $16, AX
	JMP  pv_blk

pv_pixdone:
	ADDQ dwS8PairArgs_pixStep(R13), SI
	LEAQ (DI)(R10*4), DI
	ADDQ R10, R11
	DECQ R12
	JNZ  pv_pix
	VZEROUPPER
	RET

// func dwconvS8Pairs_avx2(p *dwS8PairArgs)
TEXT ·dwconvS8Pairs_avx2(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R13
	MOVQ dwS8PairArgs_x(R13), SI
	MOVQ dwS8PairArgs_acc(R13), DI
	MOVQ dwS8PairArgs_c(R13), R10
	MOVQ dwS8PairArgs_n(R13), R12
	MOVQ dwS8PairArgs_y(R13), R11

pa_pix:
	XORQ AX, AX
	MOVQ dwS8PairArgs_w(R13), DX

pa_blk:
	LEAQ -16(R10), BX
	CMPQ AX, BX
	JLE  pa_do
	CMPQ AX, R10
	JGE  pa_pixdone
	MOVQ BX, AX

pa_do:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	LEAQ (SI)(AX*1), R8
	MOVQ dwS8PairArgs_offs(R13), BX
	MOVQ dwS8PairArgs_pairs(R13), CX

pa_pair:
	MOVQ (BX), R9
	MOVQ 8(BX), R14
	DWP_PAIR_AVX2
	ADDQ $16, BX
	ADDQ $64, DX
	DECQ CX
	JNZ  pa_pair
	VPERM2I128 $0x20, Y1, Y0, Y2
	VPERM2I128 $0x31, Y1, Y0, Y3
	CMPQ dwS8PairArgs_fused(R13), $0
	JNE  pa_fused
	VMOVDQU Y2, (DI)(AX*4)
	VMOVDQU Y3, 32(DI)(AX*4)
	ADDQ $16, AX
	JMP  pa_blk

pa_fused:
	DWP_REQUANT
	ADDQ $16, AX
	JMP  pa_blk

pa_pixdone:
	ADDQ dwS8PairArgs_pixStep(R13), SI
	LEAQ (DI)(R10*4), DI
	ADDQ R10, R11
	DECQ R12
	JNZ  pa_pix
	VZEROUPPER
	RET
