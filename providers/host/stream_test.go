//go:build linux

package host_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/host"
)

var errStop = errors.New("consumer gone")

// Every provider stops at the emitter's first error and returns it, and
// returns ctx's error when the call is cancelled.
func TestProvidersStopOnEmitError(t *testing.T) {
	for _, c := range []struct{ prov, class string }{
		{host.ProviderProcess, "Win32_Process"},
		{host.ProviderLogicalDisk, "Win32_LogicalDisk"},
		{host.ProviderOperatingSystem, "Win32_OperatingSystem"},
		{host.ProviderComputerSystem, "Win32_ComputerSystem"},
		{host.ProviderProcessor, "Win32_Processor"},
	} {
		t.Run(c.class, func(t *testing.T) {
			p := host.Providers(host.Config{LoadInterval: 1})[c.prov]
			class := classOf(t, c.class)
			n := 0
			err := p.EnumerateInstances(context.Background(), class, provider.EmitFunc(func(*cim.Instance) error {
				n++
				return errStop
			}))
			if !errors.Is(err, errStop) || n != 1 {
				t.Errorf("after a failed Emit: %d emits, err %v; want 1 and the emitter's error", n, err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			n = 0
			err = p.EnumerateInstances(ctx, class, provider.EmitFunc(func(*cim.Instance) error { n++; return nil }))
			// The single-instance providers may finish their one object;
			// the others must notice the cancellation.
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled: %v", err)
			}
			if (c.class == "Win32_Process" || c.class == "Win32_LogicalDisk") && (err == nil || n != 0) {
				t.Errorf("cancelled enumeration: %d instances, err %v", n, err)
			}
		})
	}
}

// A process enumeration stops within one object of the consumer leaving.
func TestProcessEnumerationStopsMidway(t *testing.T) {
	p := host.Providers(host.Config{})[host.ProviderProcess]
	class := classOf(t, "Win32_Process")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := p.EnumerateInstances(ctx, class, provider.EmitFunc(func(*cim.Instance) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	}))
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("%d instances, err %v; want 3 and context.Canceled", n, err)
	}
}
