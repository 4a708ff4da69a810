//go:build linux

package kernels

import (
	"time"

	"golang.org/x/sys/unix"
)

// ckThreadCPU is the CPU time of the calling OS thread (CLOCK_THREAD_CPUTIME_ID).
func ckThreadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return -1
	}
	return time.Duration(ts.Nano())
}
