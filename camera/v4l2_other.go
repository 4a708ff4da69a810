//go:build !linux

package camera

import "fmt"

// newDeviceSystem off Linux: no devices; opening one fails with ErrUnsupported.
func newDeviceSystem() deviceSystem { return noDevices{} }

type noDevices struct{}

func (noDevices) Open(path string) (device, error) {
	return nil, fmt.Errorf("%w: V4L2 capture needs Linux (%s)", ErrUnsupported, path)
}

func (noDevices) Paths() []string { return nil }
