// Package lowpeak loads models with a lower peak memory: the garbage
// collector runs at GCPercent while a model loads.
//
// A load holds the weights about twice at a time (decoded and converted to
// channels last, then graph constants and the kernels' packed copies), and
// the default GOGC=100 lets the heap grow to twice what is live before
// collecting, so the load sets the process's peak RSS (EfficientNet-B0:
// ~42 MB live at the load's fullest, heap up to 83 MB, `ocellus bench` peak
// RSS 104–109 MB; at GCPercent 64–71 MB; MobileNetV2 72 → 49 MB). The
// weights are pointer-free, so the extra collections mark little, and
// inference allocates nothing afterwards, so the restored setting does not
// matter there; loops that run while a model loads only see more frequent
// collections for the duration.
//
// The collector setting is process-wide: a Loader serialises its loads so
// that each restores what the one before it found. Use one Loader per
// process (a command makes one; the daemon holds one for all its loads).
package lowpeak

import (
	"runtime/debug"
	"sync"

	"github.com/ocellus/ocellus/nn"
)

// GCPercent is the collector's GOGC while a Loader loads.
const GCPercent = 10

// Loader runs loads one at a time with the collector at GCPercent. The zero
// value is ready to use.
type Loader struct{ mu sync.Mutex }

// Do runs load with the collector at GCPercent (a setting already lower, or
// off, is left alone), then restores the previous setting and returns the
// freed memory to the operating system.
func (l *Loader) Do(load func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := debug.SetGCPercent(GCPercent)
	if old < GCPercent { // lower already, or off (-1)
		debug.SetGCPercent(old)
	}
	defer func() {
		debug.SetGCPercent(old)
		debug.FreeOSMemory()
	}()
	load()
}

// Load is nn.Load under Do.
func (l *Loader) Load(path string, o *nn.LoadOptions) (m *nn.Model, err error) {
	l.Do(func() { m, err = nn.Load(path, o) })
	return m, err
}
