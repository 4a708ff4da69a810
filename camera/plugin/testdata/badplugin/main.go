// Command badplugin is a test plugin that implements the ABI by hand (no guest package) and
// misbehaves on request. It copies RGB8 and Gray8 frames unchanged, except that the first byte of
// a frame selects a failure:
//
//	0xF1 trap (out-of-bounds load)      0xF2 Go panic            0xF3 infinite loop
//	0xF4 allocate until out of memory   0xF5 output 1 byte short 0xF6 output shape ≠ declared
//	0xF7 error status with a message    0xF8 proc_exit(3)        0xF9 output pointer past memory
//	0xFA null result record             0xFB sleep 1 hour
//
// The parameter "configure=loop" makes ocellus_configure loop forever.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o bad.wasm ./camera/plugin/testdata/badplugin
package main

import (
	"time"
	"unsafe"
)

//go:wasmimport wasi_snapshot_preview1 proc_exit
func procExit(code uint32)

func main() {}

var (
	in      []byte
	out     []byte
	rec     [9]uint32
	msg     = []byte("badplugin: frame rejected on request")
	hoard   [][]byte
	spin    uint64
	farAddr = uintptr(0xFFFFFFF0)
)

//go:wasmexport ocellus_abi_version
func abiVersion() uint32 { return 1 << 16 }

//go:wasmexport ocellus_alloc
func alloc(n uint32) unsafe.Pointer {
	in = make([]byte, n)
	return unsafe.Pointer(unsafe.SliceData(in))
}

//go:wasmexport ocellus_configure
func configure(p unsafe.Pointer, n uint32) unsafe.Pointer {
	if string(unsafe.Slice((*byte)(p), n)) == "configure=loop" {
		for {
			spin++
		}
	}
	rec = [9]uint32{}
	return unsafe.Pointer(&rec)
}

func channels(format uint32) uint32 {
	if format == 2 {
		return 1
	}
	return 3
}

//go:wasmexport ocellus_output_shape
func outputShape(w, h, format uint32) unsafe.Pointer {
	rec = [9]uint32{0, format, 0, 0, 3, h, w, channels(format), 0}
	return unsafe.Pointer(&rec)
}

//go:wasmexport ocellus_process
func process(p unsafe.Pointer, n, w, h, format uint32) unsafe.Pointer {
	pix := unsafe.Slice((*byte)(p), n)
	if cap(out) < int(n) {
		out = make([]byte, n)
	}
	out = out[:n]
	copy(out, pix)
	c := channels(format)
	rec = [9]uint32{0, format, uint32(uintptr(unsafe.Pointer(unsafe.SliceData(out)))), n, 3, h, w, c, 0}
	switch pix[0] {
	case 0xF1:
		out[0] = *(*byte)(unsafe.Pointer(farAddr))
	case 0xF2:
		panic("badplugin: deliberate panic")
	case 0xF3:
		for {
			spin++
		}
	case 0xF4:
		for {
			hoard = append(hoard, make([]byte, 1<<20))
		}
	case 0xF5:
		rec[3] = n - 1
	case 0xF6:
		rec[1], rec[3], rec[7] = 2, w*h, 1 // a valid gray8 frame, but rgb8 was declared
	case 0xF7:
		rec = [9]uint32{7, 0, uint32(uintptr(unsafe.Pointer(unsafe.SliceData(msg)))), uint32(len(msg)), 0, 0, 0, 0, 0}
	case 0xF8:
		procExit(3)
	case 0xF9:
		rec[2] = 0xFFFF0000
	case 0xFA:
		return nil
	case 0xFB:
		time.Sleep(time.Hour)
	}
	return unsafe.Pointer(&rec)
}
