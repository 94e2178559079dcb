package wsman

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
)

// dsp0201Classes compiles the classes the DSP0201 tests write and read:
// every kind of property, qualifier flavors, defaults, methods with every
// kind of parameter, and a subclass.
func dsp0201Classes(t testing.TB) []*cim.Class {
	t.Helper()
	plan, err := mof.CompileString("t.mof", `
[Abstract, Description("the base")]
class T_Base { [Key] string Name; };
[Description("a class"), Version("1.0")]
class T_Thing : T_Base
{
  [Description("size"), Units("bytes")] uint64 Size = 4096;
  string Tags[] = {"a", "b"};
  boolean Flag = true;
  real32 Ratio = 0.5;
  datetime When = "20240102030405.000000+000";
  char16 Letter = 'x';
  sint8 Small[];
  [EmbeddedInstance("T_Base")] string Inner;
  [EmbeddedObject] string Anything;
  [Static] uint32 Make([In] string Name, [In, Out] sint32 Count, [Out] T_Base REF Made, [In] T_Base REF Many[], [In] string List[]);
  void Reset();
};
[Association]
class T_Link { [Key] T_Base REF A; [Key] T_Thing REF B; };`, mof.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*cim.Class{}
	var out []*cim.Class
	for _, it := range plan.Items {
		if it.Class == nil {
			continue
		}
		c, err := cim.Derive(byName[strings.ToLower(it.Class.Superclass)], it.Class)
		if err != nil {
			t.Fatal(err)
		}
		byName[strings.ToLower(c.Name)] = c
		out = append(out, c)
	}
	return out
}

// A class written as DSP0201 reads back as the same class, qualifiers with
// their flavors included.
func TestDSP0201RoundTrip(t *testing.T) {
	for _, c := range dsp0201Classes(t) {
		var b bytes.Buffer
		writeDSP0201Class(&b, c, true)
		n, err := parseXMLString(b.String())
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Name, err, b.String())
		}
		back, err := readDSP0201Class(n)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.Name, err, b.String())
		}
		back.Derivation = c.Derivation // DSP0201 names only the superclass
		if got, want := mof.FormatClass(back), mof.FormatClass(c); got != want {
			t.Errorf("%s changed:\n%s\nwant\n%s\nfrom\n%s", c.Name, got, want, b.String())
		}
		if got, want := describeClass(back), describeClass(c); got != want {
			t.Errorf("%s changed:\n%s\nwant\n%s", c.Name, got, want)
		}
		// Without qualifiers only the parameters keep theirs.
		b.Reset()
		writeDSP0201Class(&b, c, false)
		if strings.Contains(b.String(), `NAME="Description"`) || !strings.Contains(b.String(), `<QUALIFIER NAME="In"`) && c.Name == "T_Thing" {
			t.Errorf("%s without qualifiers:\n%s", c.Name, b.String())
		}
	}
}

// Embedded objects (CIM type object) are strings marked EmbeddedObject in
// DSP0201, their class in the EmbeddedInstance qualifier.
func TestDSP0201Embedded(t *testing.T) {
	c, err := cim.Derive(nil, &cim.Class{Name: "E", Properties: []cim.Property{
		{Name: "I", Type: cim.TypeObject, RefClass: "T_Base"}, {Name: "O", Type: cim.TypeObject.ArrayOf()}},
		Methods: []cim.Method{{Name: "M", Params: []cim.Parameter{{Name: "P", Type: cim.TypeObject, RefClass: "T_Base"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, quals := range []bool{true, false} {
		var b bytes.Buffer
		writeDSP0201Class(&b, c, quals)
		n, err := parseXMLString(b.String())
		if err != nil {
			t.Fatal(err)
		}
		back, err := readDSP0201Class(n)
		if err != nil {
			t.Fatal(err)
		}
		i, _ := back.Property("I")
		o, _ := back.Property("O")
		p := back.Methods[0].Params[0]
		wantRef := "T_Base"
		if !quals {
			wantRef = "" // the class travels in a qualifier
		}
		if i.Type != cim.TypeObject || i.RefClass != wantRef || o.Type != cim.TypeObject.ArrayOf() || p.Type != cim.TypeObject || p.RefClass != "T_Base" {
			t.Errorf("qualifiers %v: I %s %s, O %s, P %s %s\n%s", quals, i.Type, i.RefClass, o.Type, p.Type, p.RefClass, b.String())
		}
	}
}

// describeClass prints what a class definition carries, flavors and
// origins included, for comparing classes.
func describeClass(c *cim.Class) string {
	var b strings.Builder
	quals := func(qs cim.Qualifiers) {
		for _, q := range qs {
			fmt.Fprintf(&b, " [%s=%s/%#x]", q.Name, q.Value, q.Flavor)
		}
	}
	fmt.Fprintf(&b, "%s : %s", c.Name, c.Superclass)
	quals(c.Qualifiers)
	for _, p := range c.Properties {
		fmt.Fprintf(&b, "\n  %s %s ref=%s origin=%s default=%s", p.Type, p.Name, p.RefClass, p.Origin, p.Default)
		quals(p.Qualifiers)
	}
	for _, m := range c.Methods {
		fmt.Fprintf(&b, "\n  %s %s() origin=%s", m.ReturnType, m.Name, m.Origin)
		quals(m.Qualifiers)
		for _, p := range m.Params {
			fmt.Fprintf(&b, "\n    %s %s ref=%s", p.Type, p.Name, p.RefClass)
			quals(p.Qualifiers)
		}
	}
	return b.String()
}

// OMI's answers (captures 16 and 17) and other CLASS elements as servers
// write them.
var dsp0201Seeds = []string{
	`<CLASS NAME="Bench_Small"><PROPERTY NAME="Id" TYPE="uint32"><QUALIFIER NAME="key" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER></PROPERTY><PROPERTY NAME="Name" TYPE="string"></PROPERTY><PROPERTY NAME="Created" TYPE="datetime"></PROPERTY><PROPERTY NAME="Ratio" TYPE="real64"></PROPERTY></CLASS>`,
	`<CLASS NAME="C" SUPERCLASS="B"><QUALIFIER NAME="Description" TYPE="string" TRANSLATABLE="true"><VALUE>d</VALUE></QUALIFIER><PROPERTY.ARRAY NAME="A" TYPE="uint8" ARRAYSIZE="4"><VALUE.ARRAY><VALUE>1</VALUE><VALUE>2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY><PROPERTY.REFERENCE NAME="R" REFERENCECLASS="B" CLASSORIGIN="B" PROPAGATED="true"/><METHOD NAME="M" TYPE="uint32"><PARAMETER.REFARRAY NAME="P" REFERENCECLASS="B"><QUALIFIER NAME="In" TYPE="boolean" OVERRIDABLE="false"/></PARAMETER.REFARRAY></METHOD></CLASS>`,
	`<CLASS NAME="E"><PROPERTY NAME="X" TYPE="string" EmbeddedObject="instance"><QUALIFIER NAME="EmbeddedInstance" TYPE="string"><VALUE>B</VALUE></QUALIFIER></PROPERTY><QUALIFIER NAME="Values" TYPE="string" ISARRAY="true"><VALUE.ARRAY><VALUE>a</VALUE></VALUE.ARRAY></QUALIFIER></CLASS>`,
	`<CLASS NAME="X"><PROPERTY NAME="Y" TYPE="bogus"/></CLASS>`,
	`<CLASS><PROPERTY NAME="Y" TYPE="string"/></CLASS>`,
	`<CLASS NAME="X"><INSTANCE/></CLASS>`,
}

// The reader of DSP0201 classes never panics, and what it reads writes and
// reads back to the same class.
func FuzzDSP0201Class(f *testing.F) {
	for _, s := range dsp0201Seeds {
		f.Add(s)
	}
	for _, c := range dsp0201Classes(f) {
		var b bytes.Buffer
		writeDSP0201Class(&b, c, true)
		f.Add(b.String())
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseXMLString(s)
		if err != nil {
			return
		}
		c, err := readDSP0201Class(n)
		if err != nil {
			if _, ok := err.(*cim.Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		var b bytes.Buffer
		writeDSP0201Class(&b, c, true)
		n2, err := parseXMLString(b.String())
		if err != nil {
			t.Fatalf("written class does not parse: %v\n%s", err, b.String())
		}
		c2, err := readDSP0201Class(n2)
		if err != nil {
			t.Fatalf("written class does not read: %v\n%s", err, b.String())
		}
		if got, want := describeClass(c2), describeClass(c); got != want {
			t.Fatalf("round trip changed the class:\n%s\nwant\n%s\nvia\n%s", got, want, b.String())
		}
	})
}

// Instances read without a class definition (adhocClass): each type the
// rules give, and never a panic.
func TestAdhocClass(t *testing.T) {
	src := `<p:X xmlns:p="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">` +
		`<p:B>TRUE</p:B><p:I>-12</p:I><p:U>18446744073709551615</p:U><p:Z>007</p:Z><p:F>0.5</p:F><p:N>1e+21</p:N>` +
		`<p:D>2026-11-26T12:00:00Z</p:D><p:W><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:W><p:V><cim:Interval>P1DT2H</cim:Interval></p:V>` +
		`<p:M>20240102030405.000000+060</p:M><p:S>hello</p:S><p:T xsi:type="cim:cimUnsignedShort">7</p:T><p:Q xsi:type="xs:string">42</p:Q>` +
		`<p:A>1</p:A><p:A>2</p:A><p:C>1</p:C><p:C>x</p:C><p:Nil xsi:nil="true"/>` +
		`<p:R><wsa:Address>x</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Y</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="K">v</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></p:R>` +
		`<p:E><p:Sub><p:K>1</p:K></p:Sub></p:E></p:X>`
	n, err := parseXMLString(src)
	if err != nil {
		t.Fatal(err)
	}
	c, err := adhocClass(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	rd := &reader{ns: `root\cimv2`, adhoc: true}
	inst, err := rd.readInstance(n, c)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"B": "boolean true", "I": "sint64 -12", "U": "uint64 18446744073709551615", "Z": `string "007"`,
		"F": "real64 0.5", "N": "real64 1e+21", "D": `datetime "20261126120000.000000+000"`,
		"W": `datetime "20240102030405.000000+000"`, "V": `datetime "00000001020000.000000:000"`,
		"M": `datetime "20240102030405.000000+060"`, "S": `string "hello"`, "T": "uint16 7", "Q": `string "42"`,
		"A": "sint64[] {1, 2}", "C": `string[] {1, x}`, "Nil": "string NULL", "R": `ref "Y.K=\"v\""`,
	} {
		p, ok := c.Property(name)
		if !ok {
			t.Errorf("no property %s", name)
			continue
		}
		if got := p.Type.String() + " " + inst.Value(name).String(); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if e := inst.Value("E"); e.Type() != cim.TypeObject || e.Object().(*cim.Instance).Value("K").Text() != "1" {
		t.Errorf("E: %v", e)
	}
	if p := inst.ObjectPath(); len(p.Keys) != 0 {
		t.Errorf("an ad hoc class has no keys: %v", p)
	}
}

// FuzzAdhocClass: any element reads without a panic, and an instance read
// by its own class writes and reads back the same.
func FuzzAdhocClass(f *testing.F) {
	f.Add(`<p:X xmlns:p="urn:x"><p:A>1</p:A><p:A>2</p:A><p:B>TRUE</p:B><p:C>2026-11-26T12:00:00Z</p:C></p:X>`)
	f.Add(`<X><Y><Z>1</Z></Y><Y>2</Y></X>`)
	f.Add(`<X xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Y xsi:type="cimByte">300</Y><Y xsi:nil="true"/></X>`)
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseXMLString(s)
		if err != nil {
			return
		}
		c, err := adhocClass(n, nil)
		if err != nil {
			return
		}
		rd := &reader{adhoc: true}
		inst, err := rd.readInstance(n, c)
		if err != nil {
			return
		}
		var b bytes.Buffer
		iw := newInstWriter(uriMapper{ns: `root\cimv2`}, "")
		b.WriteString(`<r xmlns:xsi="` + nsXSI + `" xmlns:cim="` + nsCIM + `" xmlns:wsa="` + nsWSA + `" xmlns:wsman="` + nsWSMAN + `">`)
		iw.writeInstance(&b, inst)
		b.WriteString("</r>")
		n2, err := parseXMLString(b.String())
		if err != nil {
			t.Fatalf("written instance does not parse: %v\n%s", err, b.String())
		}
		back, err := (&reader{adhoc: true}).readInstance(n2.Kids[0], c)
		if err != nil {
			t.Fatalf("written instance does not read: %v\n%s", err, b.String())
		}
		for i := range c.Properties {
			if !cim.Equal(back.At(i), inst.At(i)) && c.Properties[i].Type.Elem() != cim.TypeObject && !(c.Properties[i].Type.Elem().IsReal()) {
				t.Fatalf("%s: %v became %v via\n%s", c.Properties[i].Name, inst.At(i), back.At(i), b.String())
			}
		}
	})
}
