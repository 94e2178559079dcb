package providerwire

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"google.golang.org/protobuf/proto"
)

// every is a class with a property of every CIM type, scalar and array.
func every(t testing.TB) *cim.Class {
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	c, err := cim.Derive(nil, &cim.Class{Name: "T_Every",
		Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.String("all of them"), Flavor: cim.FlavorToSubclass}},
		Properties: []cim.Property{
			{Name: "K", Type: cim.TypeString, Qualifiers: key},
			{Name: "S8", Type: cim.TypeSint8}, {Name: "U8", Type: cim.TypeUint8},
			{Name: "S16", Type: cim.TypeSint16}, {Name: "U16", Type: cim.TypeUint16},
			{Name: "S32", Type: cim.TypeSint32}, {Name: "U32", Type: cim.TypeUint32},
			{Name: "S64", Type: cim.TypeSint64}, {Name: "U64", Type: cim.TypeUint64, Default: cim.Uint64(7)},
			{Name: "R32", Type: cim.TypeReal32}, {Name: "R64", Type: cim.TypeReal64},
			{Name: "B", Type: cim.TypeBoolean}, {Name: "C", Type: cim.TypeChar16},
			{Name: "D", Type: cim.TypeDatetime}, {Name: "I", Type: cim.TypeDatetime},
			{Name: "Ref", Type: cim.TypeReference, RefClass: "T_Every"},
			{Name: "Obj", Type: cim.TypeObject},
			{Name: "Strs", Type: cim.TypeString.ArrayOf()}, {Name: "Ints", Type: cim.TypeSint16.ArrayOf()},
			{Name: "Null", Type: cim.TypeString},
		},
		Methods: []cim.Method{{Name: "M", ReturnType: cim.TypeUint32, Params: []cim.Parameter{
			{Name: "A", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func everyInstance(t testing.TB, c *cim.Class) *cim.Instance {
	inst := c.NewInstance()
	emb := workload.Build(workload.Class(), 3)
	set := map[string]cim.Value{
		"K": cim.String("k\"ey ünïcode"), "S8": cim.Sint8(-128), "U8": cim.Uint8(255), "S16": cim.Sint16(-32768),
		"U16": cim.Uint16(65535), "S32": cim.Sint32(-1 << 31), "U32": cim.Uint32(1<<32 - 1),
		"S64": cim.Sint64(-1 << 63), "U64": cim.Uint64(1<<64 - 1), "R32": cim.Real32(1.5), "R64": cim.Real64(-2.25e300),
		"B": cim.Bool(true), "C": cim.Char16('é'), "D": cim.TimeValue(time.Date(2026, 12, 1, 2, 3, 4, 5000, time.UTC)),
		"I": cim.IntervalValue(90 * time.Second), "Ref": cim.RefString(`T_Every.K="x"`), "Obj": cim.Embedded(emb),
		"Strs": cim.Array(cim.TypeString, cim.String("a"), cim.String("")), "Ints": cim.Array(cim.TypeSint16, cim.Sint16(-1)),
	}
	for k, v := range set {
		if err := inst.Set(k, v); err != nil {
			t.Fatal(k, err)
		}
	}
	return inst
}

func sameInstance(t testing.TB, got, want *cim.Instance) {
	t.Helper()
	if got.ClassName() != want.ClassName() {
		t.Fatalf("class %s, want %s", got.ClassName(), want.ClassName())
	}
	for i := range want.Len() {
		g, w := got.At(i), want.At(i)
		if g.Type() != w.Type() || !cim.Equal(g, w) && !(g.Type() == cim.TypeObject) {
			t.Errorf("property %s = %#v, want %#v", want.Class().Properties[i].Name, g, w)
		}
		if w.Type() == cim.TypeObject {
			sameInstance(t, g.Instance(), w.Instance())
		}
	}
}

// roundTrip marshals m to bytes and back, as gRPC does.
func roundTrip[M proto.Message](t testing.TB, m M, into M) M {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
	return into
}

func TestInstanceRoundTrip(t *testing.T) {
	c := every(t)
	inst := everyInstance(t, c)
	m := roundTrip(t, EncodeInstance(inst, c.Name), &Instance{})
	if m.ClassName != "" {
		t.Errorf("the request's class name travelled: %q", m.ClassName)
	}
	got, err := DecodeInstance(m, c)
	if err != nil {
		t.Fatal(err)
	}
	sameInstance(t, got, inst)

	// The class travels whole too.
	cm := roundTrip(t, EncodeClass(c), &Class{})
	c2, err := DecodeClass(cm)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Properties) != len(c.Properties) || c2.Properties[8].Default.Uint() != 7 || !c2.Properties[0].IsKey() ||
		c2.Qualifiers.Value("Description").Str() != "all of them" || len(c2.Methods) != 1 || !c2.Methods[0].Params[0].In() {
		t.Errorf("class did not survive: %+v", c2)
	}
	got2, err := DecodeInstance(m, c2)
	if err != nil {
		t.Fatal(err)
	}
	sameInstance(t, got2, inst)
}

func TestDecodeRefusesBadInput(t *testing.T) {
	c := every(t)
	for _, tc := range []struct {
		name string
		m    *Instance
		want cim.Status
	}{
		{"unknown property", &Instance{Properties: []*PropertyValue{{Name: "Nope", Value: &Value{Kind: &Value_Text{Text: "x"}}}}}, cim.WBEM_E_INVALID_PROPERTY},
		{"integer too wide", &Instance{Properties: []*PropertyValue{{Name: "U8", Value: &Value{Kind: &Value_Unsigned{Unsigned: 256}}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"negative into unsigned", &Instance{Properties: []*PropertyValue{{Name: "U32", Value: &Value{Kind: &Value_Signed{Signed: -1}}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"bad datetime", &Instance{Properties: []*PropertyValue{{Name: "D", Value: &Value{Kind: &Value_Text{Text: "yesterday"}}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"bad reference", &Instance{Properties: []*PropertyValue{{Name: "Ref", Value: &Value{Kind: &Value_Text{Text: "=:"}}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"array into scalar", &Instance{Properties: []*PropertyValue{{Name: "K", Value: &Value{Kind: &Value_Array{Array: &Array{}}}}}}, cim.WBEM_E_PROVIDER_FAILURE},
		{"object into string", &Instance{Properties: []*PropertyValue{{Name: "K", Value: &Value{Kind: &Value_Object{Object: &Instance{}}}}}}, cim.WBEM_E_PROVIDER_FAILURE},
		{"embedded without class", &Instance{Properties: []*PropertyValue{{Name: "Obj", Value: &Value{Kind: &Value_Object{Object: &Instance{ClassName: "X"}}}}}}, cim.WBEM_E_PROVIDER_FAILURE},
		{"another class", &Instance{ClassName: "Other"}, cim.WBEM_E_PROVIDER_FAILURE},
		{"bad class type", &Instance{Class: &Class{Name: "X", Properties: []*Property{{Name: "P", Type: 9999}}}}, cim.WBEM_E_PROVIDER_FAILURE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeInstance(tc.m, c)
			if cim.StatusOf(err) != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
	// Objects nested past MaxDepth.
	deep := &Instance{Class: &Class{Name: "N", Properties: []*Property{{Name: "O", Type: uint32(cim.TypeObject)}}}}
	for range MaxDepth + 2 {
		deep = &Instance{Class: deep.Class, Properties: []*PropertyValue{{Name: "O", Value: &Value{Kind: &Value_Object{Object: deep}}}}}
	}
	if _, err := DecodeInstance(deep, nil); cim.StatusOf(err) != cim.WBEM_E_PROVIDER_FAILURE {
		t.Errorf("nesting past MaxDepth: %v", err)
	}
}

func TestHintAndErrors(t *testing.T) {
	c := workload.Class()
	h := &provider.Hint{Query: "SELECT Name FROM GW_Item WHERE Id = 3 OR Id = 4", Properties: []string{"Name", "Id"},
		Equal: map[string][]cim.Value{"id": {cim.Uint32(3), cim.Uint32(4)}}}
	got, err := DecodeHint(roundTrip(t, EncodeHint(h), &Hint{}), c)
	if err != nil {
		t.Fatal(err)
	}
	if vs, ok := got.Values("ID"); !ok || len(vs) != 2 || vs[1].Type() != cim.TypeUint32 || vs[1].Uint() != 4 || got.Query != h.Query || len(got.Properties) != 2 {
		t.Errorf("hint %+v", got)
	}
	if _, err := DecodeHint(&Hint{Equal: []*Equality{{Property: "Nope"}}}, c); cim.StatusOf(err) != cim.WBEM_E_INVALID_PROPERTY {
		t.Errorf("hint on an unknown property: %v", err)
	}

	e := DecodeError(EncodeError(&cim.Error{Status: cim.WBEM_E_NOT_FOUND, Description: "no such", Parameter: "p"}), "Prov")
	if we := cim.AsError(e); we.Status != cim.WBEM_E_NOT_FOUND || we.Provider != "Prov" || we.Description != "no such" || we.Parameter != "p" {
		t.Errorf("error %#v", we)
	}
	if st := cim.StatusOf(DecodeError(&Error{Status: 0}, "Prov")); st != cim.WBEM_E_PROVIDER_FAILURE {
		t.Errorf("a success code as an error: %v", st)
	}
	if DecodeError(nil, "Prov") != nil || EncodeError(nil) != nil {
		t.Error("nil does not stay nil")
	}
}

// FuzzDecodeInstance: whatever bytes a provider sends, decoding gives an
// instance or a WBEM status, never a panic.
func FuzzDecodeInstance(f *testing.F) {
	c := every(f)
	for _, inst := range []*cim.Instance{everyInstance(f, c), c.NewInstance()} {
		b, _ := proto.Marshal(EncodeInstance(inst, ""))
		f.Add(b)
		b, _ = proto.Marshal(EncodeInstance(inst, c.Name))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Instance
		if proto.Unmarshal(b, &m) != nil {
			return
		}
		inst, err := DecodeInstance(&m, c)
		if err != nil {
			if cim.AsError(err).Status == 0 {
				t.Fatalf("error without a status: %v", err)
			}
			return
		}
		// What decoded encodes and decodes to the same.
		again, err := DecodeInstance(roundTrip(t, EncodeInstance(inst, ""), &Instance{}), nil)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if again.Len() != inst.Len() {
			t.Fatalf("re-decoded %d properties, want %d", again.Len(), inst.Len())
		}
	})
}

// TestGeneratedIsCurrent regenerates the gRPC code from provider.proto and
// registrar.proto and compares it with the committed files.
func TestGeneratedIsCurrent(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			t.Fatal("protoc is not installed (Debian: protobuf-compiler)")
		}
		t.Skip("protoc is not installed (Debian: protobuf-compiler)")
	}
	if testing.Short() {
		t.Skip("builds the protoc plugins")
	}
	dir := t.TempDir()
	for _, tool := range []string{"protoc-gen-go", "protoc-gen-go-grpc"} {
		pkg := map[string]string{"protoc-gen-go": "google.golang.org/protobuf/cmd/protoc-gen-go",
			"protoc-gen-go-grpc": "google.golang.org/grpc/cmd/protoc-gen-go-grpc"}[tool]
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, tool), pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("building %s: %v\n%s", tool, err, out)
		}
	}
	cmd := exec.Command(protoc, "--plugin=protoc-gen-go="+filepath.Join(dir, "protoc-gen-go"),
		"--plugin=protoc-gen-go-grpc="+filepath.Join(dir, "protoc-gen-go-grpc"),
		"--go_out=paths=source_relative:"+dir, "--go-grpc_out=paths=source_relative:"+dir, "provider.proto", "registrar.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	for _, f := range []string{"provider.pb.go", "provider_grpc.pb.go", "registrar.pb.go", "registrar_grpc.pb.go"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(withoutProtocVersion(got), withoutProtocVersion(want)) {
			t.Errorf("%s is not what provider.proto and registrar.proto generate: run go generate ./internal/providerwire", f)
		}
	}
}

// withoutProtocVersion drops the header line naming protoc's version: another
// Debian release's protoc generates the same code under another number.
func withoutProtocVersion(src []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	out := lines[:0]
	for _, l := range lines {
		if f := bytes.Fields(bytes.TrimLeft(l, "/ -")); len(f) == 2 && string(f[0]) == "protoc" {
			continue
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}
