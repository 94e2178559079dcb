package mof_test

import (
	"fmt"

	"github.com/gowbem/gowbem/mof"
)

func ExampleCompileString() {
	plan, err := mof.CompileString("example.mof", `
[Abstract]
class Ex_Element
{
	[Key] string Id;
};

class Ex_Disk : Ex_Element
{
	uint64 Size = 0;
	uint32 Format([IN] string FileSystem, [IN(false), OUT] string Log);
};

instance of Ex_Disk
{
	Id = "C:";
	Size = 0x100000;
};
`, mof.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range plan.Items {
		switch {
		case it.Class != nil:
			fmt.Printf("%s class %s: %d properties, derivation %v\n", it.Pos, it.Class.Name, len(it.Class.Properties), it.Class.Derivation)
		case it.Instance != nil:
			fmt.Printf("%s instance of %s, Size=%v\n", it.Pos, it.Instance.ClassName(), it.Instance.Value("Size"))
		}
	}

	_, err = mof.CompileString("bad.mof", "class Ex_Bad : Ex_Nowhere { };", mof.Options{})
	fmt.Println(err)
	// Output:
	// example.mof:2:1 class Ex_Element: 1 properties, derivation []
	// example.mof:8:1 class Ex_Disk: 2 properties, derivation [Ex_Element]
	// example.mof:14:1 instance of Ex_Disk, Size=1048576
	// bad.mof:1:16: WBEM_E_INVALID_SUPERCLASS (0x8004100D): superclass Ex_Nowhere of class Ex_Bad is not defined in root\cimv2 (near "Ex_Nowhere")
}

func ExampleFormatClass() {
	plan, err := mof.CompileString("example.mof", `
class Ex_Base { [Key] string Name; };
[Description("A sample.")]
class Ex_Sample : Ex_Base
{
	[MaxLen(16)] string Tags[] = {"a", "b\tc"};
	sint32 Delta = -1;
	uint8 Octets[4];
	real64 Ratio = 2.5;
	void Reset([IN] boolean Hard);
};`, mof.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(mof.FormatClass(plan.Classes()[1]))
	// Output:
	// [Description("A sample.")]
	// class Ex_Sample : Ex_Base
	// {
	// 	[MaxLen(16)]
	// 	string Tags[] = {"a", "b\tc"};
	// 	sint32 Delta = -1;
	// 	uint8 Octets[4];
	// 	real64 Ratio = 2.5;
	// 	void Reset([IN] boolean Hard);
	// };
}

func ExampleFormatInstance() {
	plan, err := mof.CompileString("example.mof", `
class Ex_Disk { [Key] string Id; uint64 Size = 0; boolean Ready = TRUE; };
instance of Ex_Disk { Id = "C:\\"; Size = 42; };`, mof.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(mof.FormatInstance(plan.Instances()[0]))
	// Output:
	// instance of Ex_Disk
	// {
	// 	Id = "C:\\";
	// 	Size = 42;
	// };
}
