//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Vector sigmoid and swish for amd64 (see actF32Args in asmargs_f32.go and
// act_f32_vec.go): expf as in expF32 (Cephes: x = n·ln2 + r, a degree-6
// polynomial for exp(r), 2^n through the exponent bits), with FMAs, then
// sigmoid = 1/(1+exp(-x)) by a true division and swish = x·sigmoid.

// Constants, each repeated 16 times (64 bytes: a ZMM, or a YMM in the first
// half): byte offset = 64·index.
#define K_SIGN 0
#define K_LO 64
#define K_HI 128
#define K_LOG2E 192
#define K_HALF 256
#define K_C1 320
#define K_C2 384
#define K_P0 448
#define K_P1 512
#define K_P2 576
#define K_P3 640
#define K_P4 704
#define K_P5 768
#define K_ONE 832
#define K_E127 896

DATA actF32K<>+0(SB)/8, $0x8000000080000000
DATA actF32K<>+8(SB)/8, $0x8000000080000000
DATA actF32K<>+16(SB)/8, $0x8000000080000000
DATA actF32K<>+24(SB)/8, $0x8000000080000000
DATA actF32K<>+32(SB)/8, $0x8000000080000000
DATA actF32K<>+40(SB)/8, $0x8000000080000000
DATA actF32K<>+48(SB)/8, $0x8000000080000000
DATA actF32K<>+56(SB)/8, $0x8000000080000000
DATA actF32K<>+64(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+72(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+80(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+88(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+96(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+104(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+112(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+120(SB)/8, $0xc2aeac4fc2aeac4f
DATA actF32K<>+128(SB)/8, $0x42b1721742b17217
DATA actF32K<>+136(SB)/8, $0x42b1721742b17217
DATA actF32K<>+144(SB)/8, $0x42b1721742b17217
DATA actF32K<>+152(SB)/8, $0x42b1721742b17217
DATA actF32K<>+160(SB)/8, $0x42b1721742b17217
DATA actF32K<>+168(SB)/8, $0x42b1721742b17217
DATA actF32K<>+176(SB)/8, $0x42b1721742b17217
DATA actF32K<>+184(SB)/8, $0x42b1721742b17217
DATA actF32K<>+192(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+200(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+208(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+216(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+224(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+232(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+240(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+248(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA actF32K<>+256(SB)/8, $0x3f0000003f000000
DATA actF32K<>+264(SB)/8, $0x3f0000003f000000
DATA actF32K<>+272(SB)/8, $0x3f0000003f000000
DATA actF32K<>+280(SB)/8, $0x3f0000003f000000
DATA actF32K<>+288(SB)/8, $0x3f0000003f000000
DATA actF32K<>+296(SB)/8, $0x3f0000003f000000
DATA actF32K<>+304(SB)/8, $0x3f0000003f000000
DATA actF32K<>+312(SB)/8, $0x3f0000003f000000
DATA actF32K<>+320(SB)/8, $0x3f3180003f318000
DATA actF32K<>+328(SB)/8, $0x3f3180003f318000
DATA actF32K<>+336(SB)/8, $0x3f3180003f318000
DATA actF32K<>+344(SB)/8, $0x3f3180003f318000
DATA actF32K<>+352(SB)/8, $0x3f3180003f318000
DATA actF32K<>+360(SB)/8, $0x3f3180003f318000
DATA actF32K<>+368(SB)/8, $0x3f3180003f318000
DATA actF32K<>+376(SB)/8, $0x3f3180003f318000
DATA actF32K<>+384(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+392(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+400(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+408(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+416(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+424(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+432(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+440(SB)/8, $0xb95e8083b95e8083
DATA actF32K<>+448(SB)/8, $0x3950696739506967
DATA actF32K<>+456(SB)/8, $0x3950696739506967
DATA actF32K<>+464(SB)/8, $0x3950696739506967
DATA actF32K<>+472(SB)/8, $0x3950696739506967
DATA actF32K<>+480(SB)/8, $0x3950696739506967
DATA actF32K<>+488(SB)/8, $0x3950696739506967
DATA actF32K<>+496(SB)/8, $0x3950696739506967
DATA actF32K<>+504(SB)/8, $0x3950696739506967
DATA actF32K<>+512(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+520(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+528(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+536(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+544(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+552(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+560(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+568(SB)/8, $0x3ab743ce3ab743ce
DATA actF32K<>+576(SB)/8, $0x3c0889083c088908
DATA actF32K<>+584(SB)/8, $0x3c0889083c088908
DATA actF32K<>+592(SB)/8, $0x3c0889083c088908
DATA actF32K<>+600(SB)/8, $0x3c0889083c088908
DATA actF32K<>+608(SB)/8, $0x3c0889083c088908
DATA actF32K<>+616(SB)/8, $0x3c0889083c088908
DATA actF32K<>+624(SB)/8, $0x3c0889083c088908
DATA actF32K<>+632(SB)/8, $0x3c0889083c088908
DATA actF32K<>+640(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+648(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+656(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+664(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+672(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+680(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+688(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+696(SB)/8, $0x3d2aa9c13d2aa9c1
DATA actF32K<>+704(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+712(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+720(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+728(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+736(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+744(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+752(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+760(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA actF32K<>+768(SB)/8, $0x3f0000003f000000
DATA actF32K<>+776(SB)/8, $0x3f0000003f000000
DATA actF32K<>+784(SB)/8, $0x3f0000003f000000
DATA actF32K<>+792(SB)/8, $0x3f0000003f000000
DATA actF32K<>+800(SB)/8, $0x3f0000003f000000
DATA actF32K<>+808(SB)/8, $0x3f0000003f000000
DATA actF32K<>+816(SB)/8, $0x3f0000003f000000
DATA actF32K<>+824(SB)/8, $0x3f0000003f000000
DATA actF32K<>+832(SB)/8, $0x3f8000003f800000
DATA actF32K<>+840(SB)/8, $0x3f8000003f800000
DATA actF32K<>+848(SB)/8, $0x3f8000003f800000
DATA actF32K<>+856(SB)/8, $0x3f8000003f800000
DATA actF32K<>+864(SB)/8, $0x3f8000003f800000
DATA actF32K<>+872(SB)/8, $0x3f8000003f800000
DATA actF32K<>+880(SB)/8, $0x3f8000003f800000
DATA actF32K<>+888(SB)/8, $0x3f8000003f800000
DATA actF32K<>+896(SB)/8, $0x7f0000007f
DATA actF32K<>+904(SB)/8, $0x7f0000007f
DATA actF32K<>+912(SB)/8, $0x7f0000007f
DATA actF32K<>+920(SB)/8, $0x7f0000007f
DATA actF32K<>+928(SB)/8, $0x7f0000007f
DATA actF32K<>+936(SB)/8, $0x7f0000007f
DATA actF32K<>+944(SB)/8, $0x7f0000007f
DATA actF32K<>+952(SB)/8, $0x7f0000007f
GLOBL actF32K<>(SB), RODATA|NOPTR, $960

// SIGMOID_Y: Y4 = sigmoid(Y0) with Y15 = lo, Y14 = hi, Y13 = 1,
// Y12 = log2e, Y11 = 1/2; Y1–Y5 temporaries. The clamps take the value as
// the second source so a NaN stays NaN.
#define SIGMOID_Y \
	VXORPS       actF32K<>+K_SIGN(SB), Y0, Y1;    \
	VMAXPS       Y1, Y15, Y1;                     \
	VMINPS       Y1, Y14, Y1;                     \
	VMOVAPS      Y12, Y2;                         \
	VFMADD213PS  Y11, Y1, Y2;                     \
	VROUNDPS     $1, Y2, Y3;                      \
	VFNMADD231PS actF32K<>+K_C1(SB), Y3, Y1;      \
	VFNMADD231PS actF32K<>+K_C2(SB), Y3, Y1;      \
	VMULPS       Y1, Y1, Y2;                      \
	VMOVUPS      actF32K<>+K_P0(SB), Y4;          \
	VFMADD213PS  actF32K<>+K_P1(SB), Y1, Y4;      \
	VFMADD213PS  actF32K<>+K_P2(SB), Y1, Y4;      \
	VFMADD213PS  actF32K<>+K_P3(SB), Y1, Y4;      \
	VFMADD213PS  actF32K<>+K_P4(SB), Y1, Y4;      \
	VFMADD213PS  actF32K<>+K_P5(SB), Y1, Y4;      \
	VFMADD213PS  Y1, Y2, Y4;                      \
	VADDPS       Y13, Y4, Y4;                     \
	VCVTTPS2DQ   Y3, Y5;                          \
	VPADDD       actF32K<>+K_E127(SB), Y5, Y5;    \
	VPSLLD       $23, Y5, Y5;                     \
	VMULPS       Y5, Y4, Y4;                      \
	VADDPS       Y13, Y4, Y4;                     \
	VDIVPS       Y4, Y13, Y4

// func actF32_avx2(p *actF32Args)
//
// Rows of n floats (a multiple of 8), ld bytes apart, in place; kind is
// f32ActSigmoid or f32ActSwish. General registers: R13 = p; DI = row;
// SI = element; CX = floats left in the row; R8 = rows left.
TEXT ·actF32_avx2(SB), NOSPLIT, $0-8
	MOVQ         p+0(FP), R13
	VMOVUPS      actF32K<>+K_LO(SB), Y15
	VMOVUPS      actF32K<>+K_HI(SB), Y14
	VMOVUPS      actF32K<>+K_ONE(SB), Y13
	VMOVUPS      actF32K<>+K_LOG2E(SB), Y12
	VMOVUPS      actF32K<>+K_HALF(SB), Y11
	MOVQ         actF32Args_x(R13), DI
	MOVQ         actF32Args_rows(R13), R8
	CMPQ         actF32Args_kind(R13), $const_f32ActSwish
	JEQ          swishrow

sigrow:
	MOVQ    DI, SI
	MOVQ    actF32Args_n(R13), CX

sigloop:
	VMOVUPS (SI), Y0
	SIGMOID_Y
	VMOVUPS Y4, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     sigloop
	ADDQ    actF32Args_ld(R13), DI
	DECQ    R8
	JNZ     sigrow
	VZEROUPPER
	RET

swishrow:
	MOVQ    DI, SI
	MOVQ    actF32Args_n(R13), CX

swishloop:
	VMOVUPS (SI), Y0
	SIGMOID_Y
	VMULPS  Y0, Y4, Y4
	VMOVUPS Y4, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JNZ     swishloop
	ADDQ    actF32Args_ld(R13), DI
	DECQ    R8
	JNZ     swishrow
	VZEROUPPER
	RET

// SIGMOID_Z: the ZMM version with every constant in a register: Z16 = sign,
// Z17 = lo, Z18 = hi, Z19 = log2e, Z20 = 1/2, Z21 = c1, Z22 = c2,
// Z23–Z28 = p0–p5, Z29 = 1, Z30 = 127; Z1–Z5 temporaries.
#define SIGMOID_Z \
	VPXORD       Z16, Z0, Z1;     \
	VMAXPS       Z1, Z17, Z1;     \
	VMINPS       Z1, Z18, Z1;     \
	VMOVAPS      Z19, Z2;         \
	VFMADD213PS  Z20, Z1, Z2;     \
	VRNDSCALEPS  $1, Z2, Z3;      \
	VFNMADD231PS Z21, Z3, Z1;     \
	VFNMADD231PS Z22, Z3, Z1;     \
	VMULPS       Z1, Z1, Z2;      \
	VMOVAPS      Z23, Z4;         \
	VFMADD213PS  Z24, Z1, Z4;     \
	VFMADD213PS  Z25, Z1, Z4;     \
	VFMADD213PS  Z26, Z1, Z4;     \
	VFMADD213PS  Z27, Z1, Z4;     \
	VFMADD213PS  Z28, Z1, Z4;     \
	VFMADD213PS  Z1, Z2, Z4;      \
	VADDPS       Z29, Z4, Z4;     \
	VCVTTPS2DQ   Z3, Z5;          \
	VPADDD       Z30, Z5, Z5;     \
	VPSLLD       $23, Z5, Z5;     \
	VMULPS       Z5, Z4, Z4;      \
	VADDPS       Z29, Z4, Z4;     \
	VDIVPS       Z4, Z29, Z4

// func actF32_avx512(p *actF32Args)
//
// actF32_avx2 on ZMM: n is a multiple of 16.
TEXT ·actF32_avx512(SB), NOSPLIT, $0-8
	MOVQ    p+0(FP), R13
	VMOVUPS actF32K<>+K_SIGN(SB), Z16
	VMOVUPS actF32K<>+K_LO(SB), Z17
	VMOVUPS actF32K<>+K_HI(SB), Z18
	VMOVUPS actF32K<>+K_LOG2E(SB), Z19
	VMOVUPS actF32K<>+K_HALF(SB), Z20
	VMOVUPS actF32K<>+K_C1(SB), Z21
	VMOVUPS actF32K<>+K_C2(SB), Z22
	VMOVUPS actF32K<>+K_P0(SB), Z23
	VMOVUPS actF32K<>+K_P1(SB), Z24
	VMOVUPS actF32K<>+K_P2(SB), Z25
	VMOVUPS actF32K<>+K_P3(SB), Z26
	VMOVUPS actF32K<>+K_P4(SB), Z27
	VMOVUPS actF32K<>+K_P5(SB), Z28
	VMOVUPS actF32K<>+K_ONE(SB), Z29
	VMOVUPS actF32K<>+K_E127(SB), Z30
	MOVQ    actF32Args_x(R13), DI
	MOVQ    actF32Args_rows(R13), R8
	CMPQ    actF32Args_kind(R13), $const_f32ActSwish
	JEQ     zswishrow

zsigrow:
	MOVQ    DI, SI
	MOVQ    actF32Args_n(R13), CX

zsigloop:
	VMOVUPS (SI), Z0
	SIGMOID_Z
	VMOVUPS Z4, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     zsigloop
	ADDQ    actF32Args_ld(R13), DI
	DECQ    R8
	JNZ     zsigrow
	VZEROUPPER
	RET

zswishrow:
	MOVQ    DI, SI
	MOVQ    actF32Args_n(R13), CX

zswishloop:
	VMOVUPS (SI), Z0
	SIGMOID_Z
	VMULPS  Z0, Z4, Z4
	VMOVUPS Z4, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JNZ     zswishloop
	ADDQ    actF32Args_ld(R13), DI
	DECQ    R8
	JNZ     zswishrow
	VZEROUPPER
	RET
