package wmi

import (
	"math"
	"testing"

	"github.com/go-ole/go-ole"

	"github.com/gowbem/gowbem/cim"
)

// Each CIM value is encoded into a real VARIANT (BSTRs, SAFEARRAYs through
// oleaut32) and decoded back unchanged.
func TestCOMVariantRoundTrip(t *testing.T) {
	err := runMTA(func() error {
		for _, v := range []cim.Value{
			cim.Sint8(-5), cim.Uint8(200), cim.Uint16(65000), cim.Uint32(math.MaxUint32), cim.Sint32(-7),
			cim.Sint64(math.MinInt64), cim.Uint64(math.MaxUint64), cim.Real32(2.5), cim.Real64(math.Pi),
			cim.Bool(true), cim.String("héllo wörld"), cim.Char16('ж'), cim.RefString(`A.k="v"`),
			cim.Array(cim.TypeUint32, cim.Uint32(1), cim.Uint32(math.MaxUint32)),
			cim.Array(cim.TypeString, cim.String("a"), cim.String("")),
			cim.Array(cim.TypeUint64, cim.Uint64(math.MaxUint64)),
			cim.Array(cim.TypeBoolean, cim.Bool(true), cim.Bool(false)),
			cim.Array(cim.TypeReal64),
		} {
			x, err := toVariant(v)
			if err != nil {
				return err
			}
			vv, err := writeVariant(x, nil)
			if err != nil {
				t.Errorf("writeVariant(%#v): %v", v, err)
				continue
			}
			back, err := readVariant(&vv, noObjects)
			ole.VariantClear(&vv)
			if err != nil {
				t.Errorf("readVariant of %#v: %v", v, err)
				continue
			}
			got, err := fromVariant(v.Type(), back)
			if err != nil || !cim.Equal(got, v) || got.Type() != v.Type() {
				t.Errorf("%#v → VARIANT → %#v, %v", v, got, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
