//go:build linux

package host_test

import (
	"context"
	"fmt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/providers/host"
)

// Install the host classes into an object manager and ask for the running
// operating system, as a WMI client would.
func ExampleInstall() {
	ctx := context.Background()
	om := cimom.NewMemory()
	if err := host.Install(ctx, om, host.Config{}); err != nil {
		panic(err)
	}
	svc := om.Services(host.Namespace)
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT Caption, OSType FROM Win32_OperatingSystem", 0)
	if err != nil {
		panic(err)
	}
	defer e.Close()
	for obj, err := range e.All(ctx) {
		if err != nil {
			panic(err)
		}
		v, _ := obj.Get("OSType")
		fmt.Println(obj.ClassName(), v)
	}
	// Output: Win32_OperatingSystem 36
}

// Read one process by its key; Handle is the process id as text.
func ExampleProcessProvider() {
	ctx := context.Background()
	om := cimom.NewMemory()
	if err := host.Install(ctx, om, host.Config{Root: "testdata/root"}); err != nil {
		panic(err)
	}
	cr, err := om.Services(host.Namespace).GetObject(ctx, `Win32_Process.Handle="1"`, 0)
	if err != nil {
		panic(err)
	}
	obj, _ := cr.ResultObject(-1)
	inst := obj.(*cim.Instance)
	fmt.Println(inst.Value("Name").Str(), inst.Value("ParentProcessId").Uint(), inst.Value("CommandLine").Str())
	// Output: init 0 /sbin/init --log-level "two words"
}
