//go:build wasip1

package guest

import "unsafe"

// The ABI exports (ABI.md). Addresses are linear-memory offsets; WebAssembly pointers are 32 bits.

//go:wasmexport ocellus_abi_version
func abiVersion() uint32 { return ABIMajor<<16 | ABIMinor }

//go:wasmexport ocellus_alloc
func alloc(size uint32) unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(st.alloc(int(size))))
}

//go:wasmexport ocellus_configure
func configure(ptr unsafe.Pointer, n uint32) unsafe.Pointer {
	params := string(unsafe.Slice((*byte)(ptr), n)) // a copy: the buffer is the host's to reuse
	return unsafe.Pointer(st.configure(params))
}

//go:wasmexport ocellus_output_shape
func outputShape(w, h, format uint32) unsafe.Pointer {
	return unsafe.Pointer(st.outputShape(int(w), int(h), Format(format)))
}

//go:wasmexport ocellus_process
func process(ptr unsafe.Pointer, n, w, h, format uint32) unsafe.Pointer {
	return unsafe.Pointer(st.process(unsafe.Slice((*byte)(ptr), n), int(w), int(h), Format(format)))
}
