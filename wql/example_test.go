package wql_test

import (
	"fmt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wql"
)

func ExampleParse() {
	q, err := wql.Parse(`select Name from Win32_Process where 100 < ProcessId and Name like '%notepad%'`)
	if err != nil {
		fmt.Println(err)
		return
	}
	sel := q.(*wql.SelectQuery)
	fmt.Println(sel.Class, sel.Props[0].Name())
	fmt.Println(q)

	_, err = wql.Parse(`SELECT * FROM Win32_LogicalDisk WHERE DriveType IS 5`)
	fmt.Println(err)
	// Output:
	// Win32_Process Name
	// SELECT Name FROM Win32_Process WHERE ProcessId > 100 AND Name LIKE "%notepad%"
	// WBEM_E_INVALID_QUERY (0x80041017): position 52: IS can only be followed by NULL or NOT NULL, found number 5
}

func ExampleCompile() {
	disk, _ := cim.Derive(nil, &cim.Class{Name: "Win32_LogicalDisk", Properties: []cim.Property{
		{Name: "DeviceID", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}},
		{Name: "FreeSpace", Type: cim.TypeUint64},
		{Name: "VolumeName", Type: cim.TypeString},
	}})
	var disks []*cim.Instance
	for _, d := range []struct {
		id   string
		free uint64
	}{{"C:", 1 << 20}, {"D:", 1 << 40}, {"E:", 4096}} {
		inst := disk.NewInstance()
		inst.Set("DeviceID", cim.String(d.id))
		inst.Set("FreeSpace", cim.Uint64(d.free))
		disks = append(disks, inst)
	}

	q := wql.MustParse(`SELECT DeviceID FROM Win32_LogicalDisk WHERE FreeSpace < 2097152`).(*wql.SelectQuery)
	f, err := wql.Compile(q, disk, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, inst := range disks {
		if f.Match(inst) {
			row := f.Project(inst)
			fmt.Println(row.Value("DeviceID").Str(), len(row.Class().Properties))
		}
	}

	// Providers can look instances up by the keys the WHERE clause pins down.
	q = wql.MustParse(`SELECT * FROM Win32_LogicalDisk WHERE DeviceID = "C:" OR DeviceID = "E:"`).(*wql.SelectQuery)
	f, _ = wql.Compile(q, disk, nil)
	fmt.Println(f.Equals("DeviceID"))

	_, err = wql.Compile(wql.MustParse(`SELECT * FROM Win32_LogicalDisk WHERE Size > 5`).(*wql.SelectQuery), disk, nil)
	fmt.Println(err)
	// Output:
	// C: 1
	// E: 1
	// ["C:" "E:"] true
	// WBEM_E_INVALID_QUERY (0x80041017): position 39: class Win32_LogicalDisk has no property Size
}

func ExampleParseEvent() {
	ev, err := wql.ParseEvent(`SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA "Win32_Process"`, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Class.Name, ev.Query.WithinDuration(), ev.TargetClass)

	_, err = wql.ParseEvent(`SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "Win32_Process" BY TargetInstance.Name`, nil)
	fmt.Println(cim.StatusOf(err))
	// Output:
	// __InstanceCreationEvent 5s Win32_Process
	// WBEM_E_MISSING_GROUP_WITHIN (0x8004105A)
}

func ExampleCompileSchema() {
	base, _ := cim.Derive(nil, &cim.Class{Name: "CIM_Process"})
	win, _ := cim.Derive(base, &cim.Class{Name: "Win32_Process"})
	other, _ := cim.Derive(nil, &cim.Class{Name: "Win32_Service"})
	q := wql.MustParse(`SELECT * FROM meta_class WHERE __this ISA "CIM_Process"`).(*wql.SchemaQuery)
	f, _ := wql.CompileSchema(q, nil)
	for _, c := range []*cim.Class{base, win, other} {
		fmt.Println(c.Name, f.Match(c))
	}
	// Output:
	// CIM_Process true
	// Win32_Process true
	// Win32_Service false
}
