//go:build !linux

package kernels

import "time"

// ckThreadCPU is not available here; benchmarks then report wall time only.
func ckThreadCPU() time.Duration { return -1 }
