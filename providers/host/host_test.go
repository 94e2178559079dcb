//go:build linux

package host_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/providers/host"
	"github.com/gowbem/gowbem/wbem"
)

// newOM returns an object manager with the host classes and providers of cfg.
func newOM(t testing.TB, cfg host.Config) *wbem.Services {
	t.Helper()
	om := cimom.NewMemory(cimom.WithServer("testhost"))
	if err := host.Install(context.Background(), om, cfg); err != nil {
		t.Fatal(err)
	}
	return om.Services(host.Namespace)
}

// enumerate runs CreateInstanceEnum (deep) on class.
func enumerate(t testing.TB, svc *wbem.Services, class string) []*cim.Instance {
	t.Helper()
	e, err := svc.CreateInstanceEnum(context.Background(), class, 0)
	return drain(t, e, err)
}

func drain(t testing.TB, e *wbem.Enumerator, err error) []*cim.Instance {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var out []*cim.Instance
	buf := make([]cim.Object, 64)
	for {
		n, err := e.Next(wbem.Infinite, buf)
		for _, o := range buf[:n] {
			out = append(out, o.(*cim.Instance))
		}
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// getObject fetches one object by path.
func getObject(t testing.TB, svc *wbem.Services, path string) (*cim.Instance, error) {
	t.Helper()
	cr, err := svc.GetObject(context.Background(), path, 0)
	if err != nil {
		return nil, err
	}
	o, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	return o.(*cim.Instance), nil
}

// call runs a method and returns its out-parameters.
func call(t testing.TB, svc *wbem.Services, path, method string, in map[string]cim.Value) *cim.Instance {
	t.Helper()
	var pin *cim.Instance
	if in != nil {
		pin = cimtest.Params(t, in)
	}
	cr, err := svc.ExecMethod(context.Background(), path, method, pin, 0)
	if err != nil {
		t.Fatalf("ExecMethod %s %s: %v", path, method, err)
	}
	o, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatalf("ExecMethod %s %s: %v", path, method, err)
	}
	return o.(*cim.Instance)
}

func TestInstallAndEnumerate(t *testing.T) {
	svc := newOM(t, host.Config{LoadInterval: 10 * time.Millisecond})
	for _, class := range []string{"Win32_OperatingSystem", "Win32_ComputerSystem", "Win32_Process", "Win32_LogicalDisk", "Win32_Processor"} {
		insts := enumerate(t, svc, class)
		if len(insts) == 0 {
			t.Errorf("%s: no instances", class)
			continue
		}
		t.Logf("%s: %d instances; first %s", class, len(insts), insts[0].ObjectPath().RelPath())
		_ = os.Getpid
	}
}

// classOf returns a host class as the object manager stores it.
func classOf(t testing.TB, name string) *cim.Class {
	t.Helper()
	svc := newOM(t, host.Config{})
	cr, err := svc.GetObject(context.Background(), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	o, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*cim.Class)
}
