// Advanced SIMD encodings for the arm64 kernels (requant_s8_arm64.s,
// dwconv_s8_arm64.s).
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
