package wsman

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
)

const (
	eprHead = `<wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
		`<wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address><wsa:ReferenceParameters>`
	eprTail = `</wsa:ReferenceParameters></wsa:EndpointReference>`
)

// eprCases are endpoint references as servers send them, and the paths
// they name from namespace root\cimv2.
var eprCases = []struct{ name, epr, path string }{
	// OMI (12-enumerate-objectandepr): DMTF's URI of a vendor class, no
	// __cimnamespace: the request's namespace.
	{"omi", eprHead + `<wsman:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Bench_Small</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="Id">1</wsman:Selector></wsman:SelectorSet>` + eprTail, `Bench_Small.Id="1"`},
	// WinRM: WMI's URI carries the namespace.
	{"winrm-wmi", eprHead + `<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="Name">Spooler</wsman:Selector></wsman:SelectorSet>` + eprTail, `Win32_Service.Name="Spooler"`},
	{"other-namespace", eprHead + `<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/interop/CIM_RegisteredProfile</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="InstanceID">p1</wsman:Selector></wsman:SelectorSet>` + eprTail, `root\interop:CIM_RegisteredProfile.InstanceID="p1"`},
	// DSP0227's: the namespace in the selector.
	{"cimnamespace", eprHead + `<wsman:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="CreationClassName">CIM_ComputerSystem</wsman:Selector><wsman:Selector Name="Name">h</wsman:Selector>` +
		`<wsman:Selector Name="__cimnamespace">root/interop</wsman:Selector></wsman:SelectorSet>` + eprTail,
		`root\interop:CIM_ComputerSystem.CreationClassName="CIM_ComputerSystem",Name="h"`},
	{"same-namespace", eprHead + `<wsman:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="Name">h</wsman:Selector><wsman:Selector Name="__cimnamespace">root/cimv2</wsman:Selector></wsman:SelectorSet>` + eprTail,
		`CIM_ComputerSystem.Name="h"`},
	// A reference key, nested.
	{"nested", eprHead + `<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Test_Dep</wsman:ResourceURI><wsman:SelectorSet>` +
		`<wsman:Selector Name="Antecedent"><wsa:EndpointReference><wsa:Address>x</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Test_Foo</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="Id">a</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference></wsman:Selector>` +
		`<wsman:Selector Name="Dependent">` + `<wsa:Address>x</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Test_Foo</wsman:ResourceURI>` +
		`<wsman:SelectorSet><wsman:Selector Name="Id">b</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></wsman:Selector>` +
		`</wsman:SelectorSet>` + eprTail, `Test_Dep.Antecedent="Test_Foo.Id=\"a\"",Dependent="Test_Foo.Id=\"b\""`},
	{"singleton", eprHead + `<wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Test_Single</wsman:ResourceURI>` + eprTail, `Test_Single=@`},
}

// The client reads the references servers send as the paths they name.
func TestParseEPRPath(t *testing.T) {
	for _, tc := range eprCases {
		root, err := parseXMLString(tc.epr)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p, err := parseEPRPath(root, `root\cimv2`, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.String() != tc.path {
			t.Errorf("%s: %s, want %s", tc.name, p, tc.path)
		}
	}
}

// Reading a server's reference never panics; what it reads is a path that
// reads back the same, and the class made up for it (without a definition)
// takes it; anything else is WBEM_E_INVALID_OBJECT_PATH.
func FuzzEPRPath(f *testing.F) {
	for _, tc := range eprCases {
		f.Add(tc.epr)
	}
	f.Add(eprHead + `<wsman:ResourceURI>http://x/*</wsman:ResourceURI>` + eprTail)
	f.Add(eprHead + `<wsman:ResourceURI>http://x/C</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="__path">C.K=1</wsman:Selector></wsman:SelectorSet>` + eprTail)
	f.Fuzz(func(t *testing.T, s string) {
		root, err := parseXMLString(s)
		if err != nil {
			return
		}
		p, err := parseEPRPath(root, `root\cimv2`, nil)
		if err != nil {
			if st := cim.StatusOf(err); st != cim.WBEM_E_INVALID_OBJECT_PATH {
				t.Fatalf("status %s: %v", st.Name(), err)
			}
			return
		}
		if p.Class == "" || p.IsClass() {
			t.Fatalf("%q: %s names no instance", s, p)
		}
		back, err := cim.ParsePath(p.String())
		if err != nil || !back.Equal(p) {
			t.Fatalf("%q: %s reads back as %s, %v", s, p, back, err)
		}
		cl, err := pathClass(p)
		if err != nil {
			if st := cim.StatusOf(err); st != cim.WBEM_E_INVALID_OBJECT_PATH {
				t.Fatalf("pathClass: status %s: %v", st.Name(), err)
			}
			return
		}
		if _, err := p.Resolve(cl); err != nil {
			t.Fatalf("%s does not fit the class made up for it: %v", p, err)
		}
	})
}
