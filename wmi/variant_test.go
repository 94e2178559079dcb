package wmi

import (
	"math"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// WMI's VARIANT conventions, read by the property's CIMTYPE.
func TestFromVariant(t *testing.T) {
	dt := "20240229235959.123456+060"
	for _, c := range []struct {
		t    cim.Type
		v    variant
		want cim.Value
	}{
		{cim.TypeUint32, variant{vt: vtI4, i: -1}, cim.Uint32(math.MaxUint32)}, // uint32 above 2^31 arrives negative
		{cim.TypeUint32, variant{vt: vtUI4, i: 7}, cim.Uint32(7)},
		{cim.TypeUint16, variant{vt: vtI4, i: 65535}, cim.Uint16(65535)},
		{cim.TypeSint8, variant{vt: vtI2, i: -128}, cim.Sint8(-128)},
		{cim.TypeUint8, variant{vt: vtUI1, i: 255}, cim.Uint8(255)},
		{cim.TypeUint64, variant{vt: vtBSTR, s: "18446744073709551615"}, cim.Uint64(math.MaxUint64)},
		{cim.TypeSint64, variant{vt: vtBSTR, s: "-9223372036854775808"}, cim.Sint64(math.MinInt64)},
		{cim.TypeUint64, variant{vt: vtUI8, i: -1}, cim.Uint64(math.MaxUint64)},
		{cim.TypeChar16, variant{vt: vtI2, i: 'é'}, cim.Char16('é')},
		{cim.TypeBoolean, variant{vt: vtBool, i: 1}, cim.Bool(true)},
		{cim.TypeReal32, variant{vt: vtR4, f: 1.5}, cim.Real32(1.5)},
		{cim.TypeReal64, variant{vt: vtR8, f: math.Pi}, cim.Real64(math.Pi)},
		{cim.TypeString, variant{vt: vtBSTR, s: "x"}, cim.String("x")},
		{cim.TypeReference, variant{vt: vtBSTR, s: `Win32_Process.Handle="4"`}, cim.RefString(`Win32_Process.Handle="4"`)},
		{cim.TypeString, variant{vt: vtNull}, cim.Null},
		{cim.TypeUint32.ArrayOf(), variant{vt: vtArray | vtI4, arr: []variant{{vt: vtI4, i: 1}, {vt: vtI4, i: -2}}},
			cim.Array(cim.TypeUint32, cim.Uint32(1), cim.Uint32(math.MaxUint32-1))},
		{cim.TypeString.ArrayOf(), variant{vt: vtArray | vtBSTR}, cim.Array(cim.TypeString)},
	} {
		got, err := fromVariant(c.t, c.v)
		if err != nil || !cim.Equal(got, c.want) || got.Type() != c.want.Type() {
			t.Errorf("fromVariant(%v, %+v) = %#v, %v; want %#v", c.t, c.v, got, err, c.want)
		}
	}
	got, err := fromVariant(cim.TypeDatetime, variant{vt: vtBSTR, s: dt})
	if err != nil || got.Type() != cim.TypeDatetime || got.Str() != dt {
		t.Errorf("datetime: %#v, %v", got, err)
	}
	// Wine writes the UTC offset with two digits.
	got, err = fromVariant(cim.TypeDatetime, variant{vt: vtBSTR, s: "20261201021045.292000+00"})
	if err != nil || got.Str() != "20261201021045.292000+000" {
		t.Errorf("two-digit offset: %#v, %v", got, err)
	}
}

// What does not fit is WBEM_E_TYPE_MISMATCH naming the VARIANT type or the
// text, never a wrong value.
func TestFromVariantMismatch(t *testing.T) {
	for _, c := range []struct {
		t cim.Type
		v variant
	}{
		{cim.TypeUint64, variant{vt: vtBSTR, s: "-1"}},
		{cim.TypeUint64, variant{vt: vtBSTR, s: "18446744073709551616"}},
		{cim.TypeUint8, variant{vt: vtBSTR, s: "256"}},
		{cim.TypeSint64, variant{vt: vtBSTR, s: "12x"}},
		{cim.TypeString, variant{vt: vtI4, i: 1}},
		{cim.TypeBoolean, variant{vt: vtI4, i: 1}},
		{cim.TypeUint32, variant{vt: vtBool, i: 1}},
		{cim.TypeDatetime, variant{vt: vtBSTR, s: "yesterday"}},
		{cim.TypeObject, variant{vt: vtBSTR, s: "x"}},
		{cim.TypeString.ArrayOf(), variant{vt: vtBSTR, s: "x"}},
		{cim.TypeString, variant{vt: vtArray | vtBSTR}},
		{cim.TypeReal64, variant{vt: vtBSTR, s: "pi"}},
	} {
		if _, err := fromVariant(c.t, c.v); cim.StatusOf(err) != cim.WBEM_E_TYPE_MISMATCH || cim.AsError(err).Description == "" {
			t.Errorf("fromVariant(%v, %+v) = %v, want WBEM_E_TYPE_MISMATCH with a description", c.t, c.v, err)
		}
	}
}

// Every CIM type goes out in WMI's VARIANT form and comes back unchanged.
func TestVariantRoundTrip(t *testing.T) {
	for _, v := range []cim.Value{
		cim.Sint8(-5), cim.Uint8(200), cim.Sint16(-300), cim.Uint16(65000), cim.Sint32(math.MinInt32),
		cim.Uint32(math.MaxUint32), cim.Sint64(math.MinInt64), cim.Uint64(math.MaxUint64), cim.Real32(2.5),
		cim.Real64(-1e300), cim.Bool(true), cim.Bool(false), cim.String("héllo"), cim.Char16(0xFFFF),
		cim.RefString(`A.k="v"`), cim.Array(cim.TypeUint64, cim.Uint64(1), cim.Uint64(math.MaxUint64)),
		cim.Array(cim.TypeBoolean, cim.Bool(true)), cim.Array(cim.TypeChar16, cim.Char16('x')),
	} {
		x, err := toVariant(v)
		if err != nil {
			t.Fatalf("toVariant(%#v): %v", v, err)
		}
		back, err := fromVariant(v.Type(), x)
		if err != nil || !cim.Equal(back, v) || back.Type() != v.Type() {
			t.Errorf("%#v → %+v → %#v, %v", v, x, back, err)
		}
	}
	if x, _ := toVariant(cim.Uint32(math.MaxUint32)); x.vt != vtI4 || x.i != -1 {
		t.Errorf("uint32 goes as VT_I4 with its bits: %+v", x)
	}
	if x, _ := toVariant(cim.Uint64(5)); x.vt != vtBSTR || x.s != "5" {
		t.Errorf("uint64 goes as a decimal BSTR: %+v", x)
	}
}

func FuzzVariantRoundTrip(f *testing.F) {
	f.Add(uint16(cim.TypeUint32), int64(-1), 0.0, "")
	f.Add(uint16(cim.TypeUint64), int64(0), 0.0, "18446744073709551615")
	f.Add(uint16(cim.TypeDatetime), int64(0), 0.0, "20240229235959.123456+060")
	f.Add(uint16(cim.TypeReal32), int64(0), 3.25, "")
	f.Fuzz(func(t *testing.T, typ uint16, i int64, fl float64, s string) {
		ty := cim.Type(typ)
		if !ty.Valid() || ty.IsArray() || ty == cim.TypeObject {
			return
		}
		for _, vt := range []uint16{vtI1, vtI2, vtI4, vtI8, vtUI1, vtUI2, vtUI4, vtUI8, vtBool, vtR4, vtR8, vtBSTR} {
			in := variant{vt: vt, i: i, f: fl, s: s}
			v, err := fromVariant(ty, in)
			if err != nil {
				if cim.StatusOf(err) != cim.WBEM_E_TYPE_MISMATCH {
					t.Fatalf("fromVariant(%v, %+v) failed with %v", ty, in, err)
				}
				continue
			}
			if v.Type() != ty {
				t.Fatalf("fromVariant(%v, %+v) gave a %v", ty, in, v.Type())
			}
			out, err := toVariant(v)
			if err != nil {
				t.Fatalf("toVariant(%#v): %v", v, err)
			}
			back, err := fromVariant(ty, out)
			if err != nil || !cim.Equal(back, v) {
				if ty.IsReal() && math.IsNaN(v.Float()) {
					continue
				}
				t.Fatalf("%#v → %+v → %#v, %v", v, out, back, err)
			}
		}
	})
}

func TestNaturalValue(t *testing.T) {
	for _, c := range []struct {
		v    variant
		want cim.Value
	}{
		{variant{vt: vtI4, i: 3}, cim.Sint32(3)},
		{variant{vt: vtBool, i: 1}, cim.Bool(true)},
		{variant{vt: vtBSTR, s: "ref:Win32_Process"}, cim.String("ref:Win32_Process")},
		{variant{vt: vtArray | vtBSTR, arr: []variant{{vt: vtBSTR, s: "a"}}}, cim.Array(cim.TypeString, cim.String("a"))},
	} {
		if got, err := naturalValue(c.v); err != nil || !cim.Equal(got, c.want) {
			t.Errorf("naturalValue(%+v) = %#v, %v", c.v, got, err)
		}
	}
	if _, err := naturalValue(variant{vt: 77}); cim.StatusOf(err) != cim.WBEM_E_TYPE_MISMATCH {
		t.Errorf("an unknown VT = %v", err)
	}
}

func TestHresultError(t *testing.T) {
	for _, c := range []struct {
		hr   uint32
		text string
		want cim.Status
		in   string
	}{
		{0x80041010, "", cim.WBEM_E_INVALID_CLASS, "class"},
		{0x80041002, "Not found", cim.WBEM_E_NOT_FOUND, "Not found"},
		{0x80070005, "", cim.WBEM_E_ACCESS_DENIED, "E_ACCESSDENIED"},
		{0x800706BA, "", cim.WBEM_E_TRANSPORT_FAILURE, "RPC_S_SERVER_UNAVAILABLE"},
		{0x80010108, "", cim.WBEM_E_TRANSPORT_FAILURE, "RPC_E_DISCONNECTED"},
		{0x80004001, "", cim.WBEM_E_NOT_SUPPORTED, "E_NOTIMPL"},
		{0x8004FFFF, "", cim.Status(0x8004FFFF), ""},
		{0x80070002, "", cim.WBEM_E_FAILED, "0x80070002"},
		{0x80070002, "The system cannot find the file", cim.WBEM_E_FAILED, "0x80070002"},
	} {
		e := hresultError("ExecQuery", c.hr, c.text)
		if e.Status != c.want || e.Operation != "ExecQuery" || !contains(e.Description, c.in) {
			t.Errorf("hresultError(%#x, %q) = %v (%q), want %v containing %q", c.hr, c.text, e.Status, e.Description, c.want, c.in)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
