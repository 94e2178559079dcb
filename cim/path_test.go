package cim

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func kb(name string, v Value) KeyBinding { return KeyBinding{Name: name, Value: v} }

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want ObjectPath
		str  string // String(); "" when it is in
		dmtf string // DMTF(); "" to skip
	}{
		// Every example of the spec, §5.3.
		{`\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:"`,
			ObjectPath{Server: "Machine1", Namespace: `root\cimv2`, Class: "Win32_LogicalDisk", Keys: []KeyBinding{kb("DeviceID", String("C:"))}},
			"", `//Machine1/root/cimv2:Win32_LogicalDisk.DeviceID="C:"`},
		{`Win32_LogicalDisk.DeviceID="C:"`,
			ObjectPath{Class: "Win32_LogicalDisk", Keys: []KeyBinding{kb("DeviceID", String("C:"))}}, "", `Win32_LogicalDisk.DeviceID="C:"`},
		{`Win32_LogicalDisk="C:"`,
			ObjectPath{Class: "Win32_LogicalDisk", Keys: []KeyBinding{kb("", String("C:"))}}, "", ""},
		{`MyClass.FirstKey=1,SecondKey=2`,
			ObjectPath{Class: "MyClass", Keys: []KeyBinding{kb("FirstKey", Sint64(1)), kb("SecondKey", Sint64(2))}}, "", ""},
		{`MySingletonClass=@`, ObjectPath{Class: "MySingletonClass", Singleton: true}, "", ""},
		{`MyClass.IntVal=33,StrVal="AAA"`,
			ObjectPath{Class: "MyClass", Keys: []KeyBinding{kb("IntVal", Sint64(33)), kb("StrVal", String("AAA"))}}, "", ""},
		{`MyClass.StrVal="AAA",IntVal=33`,
			ObjectPath{Class: "MyClass", Keys: []KeyBinding{kb("StrVal", String("AAA")), kb("IntVal", Sint64(33))}}, "", ""},
		{`Win32_Directory.Name="C:\\"`,
			ObjectPath{Class: "Win32_Directory", Keys: []KeyBinding{kb("Name", String(`C:\`))}}, "", ""},
		{`root\default:MyClass`, ObjectPath{Namespace: `root\default`, Class: "MyClass"}, "", "root/default:MyClass"},

		// Class paths, servers, namespaces.
		{`Win32_Process`, ObjectPath{Class: "Win32_Process"}, "", ""},
		{`__Namespace.Name="cimv2"`, ObjectPath{Class: "__Namespace", Keys: []KeyBinding{kb("Name", String("cimv2"))}}, "", ""},
		{`\\.\root\cimv2:Win32_Process`, ObjectPath{Namespace: `root\cimv2`, Class: "Win32_Process"}, `root\cimv2:Win32_Process`, ""},
		{`//./root/cimv2:Win32_Process.Handle="4"`,
			ObjectPath{Namespace: `root\cimv2`, Class: "Win32_Process", Keys: []KeyBinding{kb("Handle", String("4"))}},
			`root\cimv2:Win32_Process.Handle="4"`, `root/cimv2:Win32_Process.Handle="4"`},
		{`//srv/root/cimv2:C.K=1`, ObjectPath{Server: "srv", Namespace: `root\cimv2`, Class: "C", Keys: []KeyBinding{kb("K", Sint64(1))}},
			`\\srv\root\cimv2:C.K=1`, `//srv/root/cimv2:C.K=1`},
		{`\\srv/root/cimv2:C`, ObjectPath{Server: "srv", Namespace: `root\cimv2`, Class: "C"}, `\\srv\root\cimv2:C`, ""},
		{`\\srv\C`, ObjectPath{Server: "srv", Class: "C"}, "", "//srv/C"},
		{`\\192.168.1.10\root:C=@`, ObjectPath{Server: "192.168.1.10", Namespace: "root", Class: "C", Singleton: true}, "", ""},
		{`root:C`, ObjectPath{Namespace: "root", Class: "C"}, "", ""},
		{`root\cimv2\ms_409:C`, ObjectPath{Namespace: `root\cimv2\ms_409`, Class: "C"}, "", ""},
		{`root\1033:C`, ObjectPath{Namespace: `root\1033`, Class: "C"}, "", ""},
		{`Straße.Größe=1`, ObjectPath{Class: "Straße", Keys: []KeyBinding{kb("Größe", Sint64(1))}}, "", ""},

		// Values.
		{`C.K='single'`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("single"))}}, `C.K="single"`, ""},
		{`C.K='it\'s'`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("it's"))}}, `C.K="it's"`, ""},
		{`C.K='say "hi"'`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String(`say "hi"`))}}, `C.K="say \"hi\""`, ""},
		{`C.K="say \"hi\""`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String(`say "hi"`))}}, "", ""},
		{`C.K="it's"`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("it's"))}}, "", ""},
		{`C.K="\'"`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("'"))}}, `C.K="'"`, ""},
		{`C.K="a\\\\b"`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String(`a\\b`))}}, "", ""},
		{`C.K=""`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String(""))}}, "", ""},
		{`C.K="with space, comma=and.dot"`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("with space, comma=and.dot"))}}, "", ""},
		{`C.K="%20"`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", String("%20"))}}, "", ""},
		{`C.K=-5`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(-5))}}, "", ""},
		{`C.K=007`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(7))}}, `C.K=7`, ""},
		{`C.K=-0`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(0))}}, `C.K=0`, ""},
		{`C.K=9223372036854775807`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(math.MaxInt64))}}, "", ""},
		{`C.K=9223372036854775808`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Uint64(1<<63))}}, "", ""},
		{`C.K=18446744073709551615`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Uint64(math.MaxUint64))}}, "", ""},
		{`C.K=-9223372036854775808`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(math.MinInt64))}}, "", ""},
		{`C.K=TRUE`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Bool(true))}}, "", ""},
		{`C.K=false`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Bool(false))}}, `C.K=FALSE`, ""},
		{`C=42`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("", Sint64(42))}}, "", ""},
		{`C=True`, ObjectPath{Class: "C", Keys: []KeyBinding{kb("", Bool(true))}}, `C=TRUE`, ""},
		// A reference held in a string, with its own escapes.
		{`Assoc.Ref="\\\\.\\root\\cimv2:C.K=\"v\""`,
			ObjectPath{Class: "Assoc", Keys: []KeyBinding{kb("Ref", String(`\\.\root\cimv2:C.K="v"`))}}, "", ""},
		{`Win32_LoggedOnUser.Antecedent="\\\\.\\root\\cimv2:Win32_Account.Domain=\"D\",Name=\"U\"",Dependent="Win32_LogonSession.LogonId=\"999\""`,
			ObjectPath{Class: "Win32_LoggedOnUser", Keys: []KeyBinding{
				kb("Antecedent", String(`\\.\root\cimv2:Win32_Account.Domain="D",Name="U"`)),
				kb("Dependent", String(`Win32_LogonSession.LogonId="999"`))}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err != nil {
				t.Fatalf("ParsePath: %v", err)
			}
			if !samePath(p, tt.want) {
				t.Fatalf("ParsePath = %#v\nwant %#v", p, tt.want)
			}
			wantStr := tt.str
			if wantStr == "" {
				wantStr = tt.in
			}
			if got := p.String(); got != wantStr {
				t.Errorf("String() = %s, want %s", got, wantStr)
			}
			if tt.dmtf != "" {
				if got := p.DMTF(); got != tt.dmtf {
					t.Errorf("DMTF() = %s, want %s", got, tt.dmtf)
				}
			}
			for _, form := range []string{p.String(), p.DMTF()} {
				q, err := ParsePath(form)
				if err != nil {
					t.Fatalf("reparse %s: %v", form, err)
				}
				if !samePath(p, q) || !p.Equal(q) {
					t.Errorf("reparse of %s = %#v, want %#v", form, q, p)
				}
			}
			if !strings.HasSuffix(p.String(), p.RelPath()) || strings.ContainsAny(p.RelPath()[:len(p.Class)], `\/:`) {
				t.Errorf("RelPath() = %s is not the tail of %s", p.RelPath(), p.String())
			}
		})
	}
}

// samePath compares paths field by field, key values by type and content.
func samePath(p, q ObjectPath) bool {
	if p.Server != q.Server || p.Namespace != q.Namespace || p.Class != q.Class || p.Singleton != q.Singleton || len(p.Keys) != len(q.Keys) {
		return false
	}
	if (p.Keys == nil) != (q.Keys == nil) {
		return false
	}
	for i := range p.Keys {
		a, b := p.Keys[i], q.Keys[i]
		if a.Name != b.Name || a.Value.Type() != b.Value.Type() || a.Value.Str() != b.Value.Str() || a.Value.Uint() != b.Value.Uint() {
			return false
		}
	}
	return true
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		in   string
		pos  int // 1-based; 0 when no position is named
		frag string
	}{
		{"", 0, "empty"},
		{`C.K=1 `, 6, "unexpected ' '"},
		{` C`, 1, "expected a name but found ' '"},
		{`C .K=1`, 2, "unexpected ' ' after the class name"},
		{`C. K=1`, 3, "expected a key name but found ' '"},
		{`C.K =1`, 4, "expected '=' after key K"},
		{`C.K= 1`, 5, "expected a quoted string"},
		{`C.K=1, L=2`, 7, "expected a key name"},
		{`C.K=1,`, 7, "expected a key name but found end of path"},
		{`C.=1`, 3, "expected a key name but found '='"},
		{`C.K=1,=2`, 7, "expected a key name"},
		{`C.K=1,k=2`, 7, "key k is given twice"},
		{`C.K`, 4, "expected '=' after key K but found end of path"},
		{`C.K=`, 5, "expected a quoted string, an integer, TRUE or FALSE but found end of path"},
		{`C.`, 3, "expected a key name but found end of path"},
		{`C=`, 3, "found end of path"},
		{`C=@x`, 4, "unexpected 'x' after the end of the path"},
		{`C=@,K=1`, 4, "unexpected ','"},
		{`C=1,K=2`, 4, "unexpected ','"},
		{`C.K="abc`, 5, "unterminated string"},
		{`C.K='abc"`, 5, "unterminated string"},
		{`C.K="abc\"`, 5, "unterminated string"},
		{`C.K="abc\`, 5, "unterminated string"},
		{`C.K="a\nb"`, 7, `invalid escape '\' before 'n'`},
		{`Win32_Directory.Name="C:\Windows"`, 25, `invalid escape '\' before 'W'`},
		{`C.K="a"b`, 8, "unexpected 'b' after the end of the path"},
		{`C.K="a""b"`, 8, "unexpected '\"'"},
		{`C.K=0x10`, 6, "only decimal integers"},
		{`C.K=-`, 6, "expected a digit after '-'"},
		{`C.K=+1`, 5, "expected a quoted string"},
		{`C.K=1.5`, 6, "unexpected '.'"},
		{`C.K=18446744073709551616`, 5, "integer 18446744073709551616 is out of range"},
		{`C.K=-9223372036854775809`, 5, "out of range"},
		{`C.K=yes`, 5, "expected a quoted string, an integer, TRUE or FALSE"},
		{`C.K=NULL`, 5, "expected a quoted string"},
		{`C.K=@`, 5, "expected a quoted string"},
		{`1Class`, 1, "cannot start with '1'"},
		{`C-D`, 2, "unexpected '-' after the class name"},
		{`root\cimv2`, 11, "expected ':' after the namespace but found end of path"},
		{`root\cimv2:`, 12, "expected a class name but found end of path"},
		{`root\\cimv2:C`, 6, "expected a name but found '\\\\'"},
		{`root\:C`, 6, "expected a name but found ':'"},
		{`root:1C`, 6, "expected a class name but found '1'"},
		{`:C`, 1, "expected a name but found ':'"},
		{`\root\cimv2:C`, 1, "needs two of them"},
		{`/root/cimv2:C`, 1, "needs two of them"},
		{`\/srv\root:C`, 1, "needs two of them"},
		{`\\`, 3, "expected a server name but found end of path"},
		{`\\\root:C`, 3, "expected a server name but found '\\\\'"},
		{`\\srv`, 6, "expected '\\' after the server name"},
		{`\\s v\root:C`, 4, "unexpected ' ' in the server name"},
		{`\\srv\`, 7, "expected a name but found end of path"},
		{"C.K=\x00", 5, "expected a quoted string"},
		{"C\x00", 2, "unexpected '\\x00'"},
		{"C\xff", 2, "byte 0xFF"},
		{"Cé.K=1,L\xff=1", 9, "expected '=' after key L but found byte 0xFF"},
		{"C.Ké=1,ké=2", 8, "key ké is given twice"}, // position counts characters, not bytes
		{"C.K=\"x\"\u00a0", 8, "unexpected '\\u00a0'"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePath(tt.in)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %#v, want an error", tt.in, p)
			}
			if !errors.Is(err, ErrInvalidObjectPath) {
				t.Fatalf("error %v is not WBEM_E_INVALID_OBJECT_PATH", err)
			}
			d := AsError(err).Description
			if !strings.Contains(d, tt.frag) {
				t.Errorf("description %q does not mention %q", d, tt.frag)
			}
			if tt.pos > 0 && !strings.HasSuffix(d, fmt.Sprintf("at position %d", tt.pos)) {
				t.Errorf("description %q does not end with position %d", d, tt.pos)
			}
		})
	}
}

func TestParsePathLimit(t *testing.T) {
	prefix := `C.K="`
	fill := func(n int) string { return prefix + strings.Repeat("x", n-len(prefix)-1) + `"` }
	ok := fill(MaxPathLength)
	if len(ok) != MaxPathLength {
		t.Fatalf("test setup: %d", len(ok))
	}
	if _, err := ParsePath(ok); err != nil {
		t.Errorf("path of exactly %d characters: %v", MaxPathLength, err)
	}
	_, err := ParsePath(fill(MaxPathLength + 1))
	if !errors.Is(err, ErrInvalidObjectPath) || !strings.Contains(err.Error(), "longer than the limit of 8192") {
		t.Errorf("path of %d characters: %v, want WBEM_E_INVALID_OBJECT_PATH naming the limit", MaxPathLength+1, err)
	}
	// The limit counts characters, not bytes.
	wide := prefix + strings.Repeat("é", MaxPathLength-len(prefix)-1) + `"`
	if _, err := ParsePath(wide); err != nil {
		t.Errorf("path of %d two-byte characters: %v", MaxPathLength, err)
	}
	// Long errors quote a shortened path.
	_, err = ParsePath(ok[:len(ok)-1])
	if e := AsError(err); e == nil || len(e.Description) > 200 || !strings.Contains(e.Description, "at position 5") {
		t.Errorf("error for a long unterminated string: %v", err)
	}
}

func TestPathPrinting(t *testing.T) {
	tests := []struct {
		p                 ObjectPath
		str, rel, dmtf, k string
	}{
		{ObjectPath{Server: "srv", Namespace: "root/cimv2", Class: "C", Keys: []KeyBinding{kb("B", Sint32(-3)), kb("A", String(`q"\`))}},
			`\\srv\root\cimv2:C.B=-3,A="q\"\\"`, `C.B=-3,A="q\"\\"`, `//srv/root/cimv2:C.B=-3,A="q\"\\"`, `c.a="q\"\\",b=-3`},
		{ObjectPath{Namespace: `root\cimv2`, Class: "Win32_X"}, `root\cimv2:Win32_X`, "Win32_X", "root/cimv2:Win32_X", "win32_x"},
		{ObjectPath{Server: "srv", Class: "C", Singleton: true}, `\\srv\C=@`, "C=@", "//srv/C=@", "c=@"},
		{ObjectPath{Class: "C", Keys: []KeyBinding{kb("U", Uint8(200)), kb("B", Bool(false)), kb("Ch", Char16('A'))}},
			`C.U=200,B=FALSE,Ch=65`, `C.U=200,B=FALSE,Ch=65`, `C.U=200,B=FALSE,Ch=65`, `c.b=FALSE,ch=65,u=200`},
		{ObjectPath{Class: "A", Keys: []KeyBinding{kb("R", RefString(`\\srv\root\cimv2:C.K="V"`))}},
			`A.R="\\\\srv\\root\\cimv2:C.K=\"V\""`, `A.R="\\\\srv\\root\\cimv2:C.K=\"V\""`, `A.R="\\\\srv\\root\\cimv2:C.K=\"V\""`, `a.r="c.k=\"v\""`},
		{ObjectPath{Class: "A", Keys: []KeyBinding{kb("R", RefString(`not a path`))}},
			`A.R="not a path"`, `A.R="not a path"`, `A.R="not a path"`, `a.r="not a path"`},
		{ObjectPath{Class: "A", Keys: []KeyBinding{kb("D", DatetimeValue(Datetime{Year: 2000, Month: 1, Day: 2}))}},
			`A.D="20000102000000.000000+000"`, `A.D="20000102000000.000000+000"`, `A.D="20000102000000.000000+000"`, `a.d="20000102000000.000000+000"`},
		{ObjectPath{Class: "A", Keys: []KeyBinding{kb("N", Null)}}, `A.N=NULL`, `A.N=NULL`, `A.N=NULL`, `a.n=NULL`},
		{ObjectPath{Class: "A", Keys: []KeyBinding{kb("F", Real64(1.5))}}, `A.F="1.5"`, `A.F="1.5"`, `A.F="1.5"`, `a.f="1.5"`},
		{ObjectPath{Class: "C", Keys: []KeyBinding{kb("", String("X"))}}, `C="X"`, `C="X"`, `C="X"`, `c="x"`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.str {
			t.Errorf("String() = %s, want %s", got, tt.str)
		}
		if got := tt.p.RelPath(); got != tt.rel {
			t.Errorf("RelPath() = %s, want %s", got, tt.rel)
		}
		if got := tt.p.DMTF(); got != tt.dmtf {
			t.Errorf("DMTF() = %s, want %s", got, tt.dmtf)
		}
		if got := tt.p.KeyString(); got != tt.k {
			t.Errorf("KeyString() = %s, want %s", got, tt.k)
		}
	}
}

func TestIsClass(t *testing.T) {
	for in, want := range map[string]bool{"C": true, `root:C`: true, "C=@": false, "C=1": false, "C.K=1": false} {
		p, err := ParsePath(in)
		if err != nil {
			t.Fatal(err)
		}
		if p.IsClass() != want {
			t.Errorf("%s.IsClass() = %v", in, !want)
		}
	}
}

// TestPathEquality is checklist item 15's identity rule: key order, quote
// style and case do not matter.
func TestPathEquality(t *testing.T) {
	same := [][]string{
		{`MyClass.IntVal=33,StrVal="AAA"`, `MyClass.StrVal="AAA",IntVal=33`, `myclass.strval='aaa',INTVAL=33`, `MYCLASS.intval=033,StrVal="aAa"`},
		{`\\srv\root\cimv2:C.K="v"`, `//./ROOT/CIMV2:c.k='V'`, `C.K="v"`, `root/cimv2:C.K="V"`, `\\other\Root\CimV2:C.K="v"`},
		{`C=@`, `c=@`, `root:C=@`},
		{`C`, `c`, `root\cimv2:C`},
		{`C="x"`, `c='X'`},
		{`C.K=TRUE`, `C.K=true`},
		{`C.K="Straße"`, `c.k="STRAßE"`},
		{`Assoc.R="C.K=1"`, `assoc.r='c.k=1'`},
	}
	for _, group := range same {
		var paths []ObjectPath
		for _, s := range group {
			p, err := ParsePath(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			paths = append(paths, p)
		}
		for i := range paths {
			for j := range paths {
				if !paths[i].Equal(paths[j]) {
					t.Errorf("%s and %s should be equal (KeyStrings %s, %s)", group[i], group[j], paths[i].KeyString(), paths[j].KeyString())
				}
			}
		}
	}

	different := [][2]string{
		{`C.K=1`, `C.K=2`},
		{`C.K=1`, `C.K="1"`},
		{`C.K=1`, `D.K=1`},
		{`C.K=1`, `C.L=1`},
		{`C.K=1`, `C.K=1,L=2`},
		{`C.K="a"`, `C.K="a "`},
		{`C=@`, `C`},
		{`C="x"`, `C.K="x"`},
		{`root\a:C.K=1`, `root\b:C.K=1`},
		{`root\a:C`, `root\ab:C`},
		{`C.K=TRUE`, `C.K=1`},
		{`C.A="1",B="2"`, `C.A="2",B="1"`},
		{`C.K=-1`, `C.K=18446744073709551615`},
		{`C.K="a\"b"`, `C.K="a\\b"`},
		{`C.A="x,b=\"y\""`, `C.A="x",B="y"`}, // an escaped comma in a value cannot fake a key
	}
	for _, d := range different {
		p, err1 := ParsePath(d[0])
		q, err2 := ParsePath(d[1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if p.Equal(q) || q.Equal(p) {
			t.Errorf("%s and %s should differ (KeyStrings %s, %s)", d[0], d[1], p.KeyString(), q.KeyString())
		}
	}

	// Integer spelling and CIM type do not matter.
	a := ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Uint32(7))}}
	b := ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint64(7))}}
	if !a.Equal(b) {
		t.Errorf("uint32 7 and sint64 7 keys differ: %s vs %s", a.KeyString(), b.KeyString())
	}
	// A reference compares by class and keys, whatever its form.
	r1 := ObjectPath{Class: "A", Keys: []KeyBinding{kb("R", RefString(`\\srv\root\cimv2:C.K="v",L=1`))}}
	r2 := ObjectPath{Class: "A", Keys: []KeyBinding{kb("R", RefString(`c.l=1,k='V'`))}}
	if !r1.Equal(r2) {
		t.Errorf("references to the same instance differ: %s vs %s", r1.KeyString(), r2.KeyString())
	}
	// KeyString does not reorder the caller's keys.
	p := ObjectPath{Class: "C", Keys: []KeyBinding{kb("B", Sint64(1)), kb("A", Sint64(2))}}
	_ = p.KeyString()
	if p.Keys[0].Name != "B" {
		t.Error("KeyString sorted the path's own key slice")
	}
}

func TestResolve(t *testing.T) {
	base := mustDerive(t, nil, &Class{Name: "Disk", Properties: []Property{
		{Name: "DeviceID", Type: TypeString, Qualifiers: Qualifiers{{Name: "Key"}}},
		{Name: "Size", Type: TypeUint64},
	}})
	multi := mustDerive(t, nil, &Class{Name: "M", Properties: []Property{
		{Name: "Num", Type: TypeUint32, Qualifiers: Qualifiers{{Name: "Key"}}},
		{Name: "Ref", Type: TypeReference, RefClass: "Disk", Qualifiers: Qualifiers{{Name: "Key"}}},
		{Name: "Other", Type: TypeString},
	}})
	single := mustDerive(t, nil, &Class{Name: "S", Qualifiers: Qualifiers{{Name: "Singleton"}}, Properties: []Property{{Name: "X", Type: TypeString}}})

	good := []struct {
		c    *Class
		in   string
		want string
	}{
		{base, `Disk="C:"`, `Disk.DeviceID="C:"`},
		{base, `disk.deviceid='C:'`, `disk.DeviceID="C:"`},
		{multi, `M.Ref="Disk.DeviceID=\"C:\"",num="7"`, `M.Num=7,Ref="Disk.DeviceID=\"C:\""`},
		{multi, `M.NUM=7,REF='Disk="C:"'`, `M.Num=7,Ref="Disk=\"C:\""`},
		{single, `S=@`, `S=@`},
		{base, `root:Disk`, `root:Disk`},
	}
	for _, tt := range good {
		p, err := ParsePath(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Resolve(tt.c)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tt.in, err)
			continue
		}
		if r.String() != tt.want {
			t.Errorf("Resolve(%s) = %s, want %s", tt.in, r, tt.want)
		}
		for _, k := range r.Keys {
			prop, _ := tt.c.Property(k.Name)
			if k.Value.Type() != prop.Type {
				t.Errorf("Resolve(%s): key %s is %s, want %s", tt.in, k.Name, k.Value.Type(), prop.Type)
			}
		}
	}
	// Resolved paths of the same instance are Equal whatever the input.
	p1, _ := ParsePath(`M.Num=7,Ref="\\\\.\\root\\cimv2:Disk.DeviceID=\"C:\""`)
	// (A bare key inside a reference stays unnamed: Resolve does not look up
	// the referenced class.)
	p2, _ := ParsePath(`M.ref='disk.deviceid="c:"',num=7`)
	r1, _ := p1.Resolve(multi)
	r2, _ := p2.Resolve(multi)
	if !r1.Equal(r2) {
		t.Errorf("resolved %s and %s differ: %s vs %s", r1, r2, r1.KeyString(), r2.KeyString())
	}

	bad := []struct {
		c    *Class
		in   string
		frag string
	}{
		{base, `Disk.Name="C:"`, "key DeviceID of class Disk is missing"},
		{base, `Disk.DeviceID="C:",Size=1`, "property Size of class Disk is not a key"},
		{base, `Disk.DeviceID="C:",Bogus=1`, "class Disk has no property Bogus"},
		{base, `Disk=@`, "not a singleton"},
		{single, `S.X="a"`, "is a singleton"},
		{multi, `M=7`, "has 2 keys"},
		{multi, `M.Num=7`, "key Ref of class M is missing"},
		{multi, `M.Num=-1,Ref="Disk=1"`, "does not fit its type uint32"},
		{multi, `M.Num=7,Ref="not a path"`, "does not fit its type ref"},
		{mustDerive(t, nil, &Class{Name: "NoKeys"}), `NoKeys.A=1`, "has no keys"},
	}
	for _, tt := range bad {
		p, err := ParsePath(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Resolve(tt.c)
		if !errors.Is(err, ErrInvalidObjectPath) || !strings.Contains(err.Error(), tt.frag) {
			t.Errorf("Resolve(%s) = %v, want WBEM_E_INVALID_OBJECT_PATH mentioning %q", tt.in, err, tt.frag)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		`\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:"`, `Win32_LogicalDisk="C:"`,
		`MyClass.FirstKey=1,SecondKey=2`, `MySingletonClass=@`, `Win32_Directory.Name="C:\\"`,
		`//./root/cimv2:C.K='it\'s'`, `C.K=-9223372036854775808`, `C.K=18446744073709551615`,
		`C.K=TRUE,L=false`, `Assoc.Ref="\\\\.\\root\\cimv2:C.K=\"v\""`, `Straße.Größe="É"`,
		`\\srv\C`, `C.K=""`, `C.K="a\nb"`, `C.K=0x1`, "C.K=\"\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if StatusOf(err) != WBEM_E_INVALID_OBJECT_PATH {
				t.Fatalf("ParsePath(%q): status %v", s, StatusOf(err))
			}
			if s != "" && len(s) <= MaxPathLength && !strings.Contains(err.Error(), " at position ") {
				t.Fatalf("ParsePath(%q): %v names no position", s, err)
			}
			return
		}
		for _, out := range []string{p.String(), p.DMTF()} {
			q, err := ParsePath(out)
			if err != nil {
				t.Fatalf("reparse of %q (from %q): %v", out, s, err)
			}
			if !p.Equal(q) || !q.Equal(p) {
				t.Fatalf("reparse of %q is not Equal: %s vs %s", out, p.KeyString(), q.KeyString())
			}
			if q.String() != p.String() || q.KeyString() != p.KeyString() {
				t.Fatalf("String not stable: %q then %q", p.String(), q.String())
			}
		}
		if rel, err := ParsePath(p.RelPath()); err != nil || rel.KeyString() != p.KeyString() {
			t.Fatalf("RelPath %q of %q: %v", p.RelPath(), s, err)
		}
	})
}

func BenchmarkParsePath(b *testing.B) {
	const s = `\\Machine1\root\cimv2:Win32_LogicalDisk.DeviceID="C:",Other="x\"y",Num=12345`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePath(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyString(b *testing.B) {
	p, err := ParsePath(`\\Machine1\root\cimv2:Win32_Service.Name="Winmgmt",Zone="Default",Id=42`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.KeyString()
	}
}

func ExampleParsePath() {
	p, err := ParsePath(`//./root/cimv2:Win32_LogicalDisk.DeviceID='C:'`)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Namespace, p.Class, p.Keys[0].Name, p.Keys[0].Value.Str())
	fmt.Println(p.String())
	fmt.Println(p.RelPath())

	q, _ := ParsePath(`win32_logicaldisk.deviceid="c:"`)
	fmt.Println(p.Equal(q), q.KeyString())

	_, err = ParsePath(`Win32_Directory.Name="C:\Windows"`)
	fmt.Println(err)
	// Output:
	// root\cimv2 Win32_LogicalDisk DeviceID C:
	// root\cimv2:Win32_LogicalDisk.DeviceID="C:"
	// Win32_LogicalDisk.DeviceID="C:"
	// true win32_logicaldisk.deviceid="c:"
	// WBEM_E_INVALID_OBJECT_PATH (0x8004103A): object path "Win32_Directory.Name=\"C:\\Windows\"": invalid escape '\' before 'W' (write \\ for a backslash) at position 25
}
