package wmi

import (
	"fmt"
	"math"
	"strconv"

	"github.com/gowbem/gowbem/cim"
)

// VARIANT types (VARENUM) the conversions meet.
const (
	vtEmpty    = 0
	vtNull     = 1
	vtI2       = 2
	vtI4       = 3
	vtR4       = 4
	vtR8       = 5
	vtBSTR     = 8
	vtDispatch = 9
	vtBool     = 11
	vtVariant  = 12
	vtUnknown  = 13
	vtI1       = 16
	vtUI1      = 17
	vtUI2      = 18
	vtUI4      = 19
	vtI8       = 20
	vtUI8      = 21
	vtArray    = 0x2000
)

// variant is a VARIANT's content in Go terms: the COM layer decodes VARIANTs
// into it and encodes it back, and the conversions below map it to and from
// cim.Value by the property's CIMTYPE, where WMI's VARIANT conventions live.
type variant struct {
	vt  uint16     // the VARIANT type; vtArray|element type for arrays
	i   int64      // integers and booleans (0 or 1)
	f   float64    // VT_R4, VT_R8
	s   string     // VT_BSTR
	obj cim.Object // VT_UNKNOWN: an embedded IWbemClassObject, converted
	arr []variant  // the elements of an array
}

func (v variant) isNull() bool { return v.vt == vtEmpty || v.vt == vtNull }

func (v variant) isInteger() bool {
	switch v.vt &^ vtArray {
	case vtI1, vtI2, vtI4, vtI8, vtUI1, vtUI2, vtUI4, vtUI8, vtBool:
		return true
	}
	return false
}

// vtName names a VARIANT type for messages.
func vtName(vt uint16) string {
	names := map[uint16]string{vtEmpty: "VT_EMPTY", vtNull: "VT_NULL", vtI2: "VT_I2", vtI4: "VT_I4",
		vtR4: "VT_R4", vtR8: "VT_R8", vtBSTR: "VT_BSTR", vtDispatch: "VT_DISPATCH", vtBool: "VT_BOOL",
		vtVariant: "VT_VARIANT", vtUnknown: "VT_UNKNOWN", vtI1: "VT_I1", vtUI1: "VT_UI1", vtUI2: "VT_UI2",
		vtUI4: "VT_UI4", vtI8: "VT_I8", vtUI8: "VT_UI8"}
	n, ok := names[vt&^vtArray]
	if !ok {
		n = "VT_" + strconv.Itoa(int(vt&^vtArray))
	}
	if vt&vtArray != 0 {
		n += "|VT_ARRAY"
	}
	return n
}

// fromVariant converts what WMI put in a VARIANT for a property of CIM type
// t into a cim.Value of exactly that type. WMI's automation conventions:
// sint8 comes as VT_I2, uint16 and uint32 as VT_I4 (uint32 above 2^31
// negative), sint64 and uint64 as decimal BSTRs, char16 as VT_I2,
// datetimes and references as BSTRs, embedded objects as VT_UNKNOWN; the
// natural VT (VT_UI4, VT_I8, …) is accepted too.
func fromVariant(t cim.Type, v variant) (cim.Value, error) {
	if v.isNull() {
		return cim.Null, nil
	}
	if t.IsArray() {
		if v.vt&vtArray == 0 {
			return cim.Null, mismatch(t, v)
		}
		elems := make([]cim.Value, len(v.arr))
		for i, e := range v.arr {
			x, err := fromVariant(t.Elem(), e)
			if err != nil {
				return cim.Null, err
			}
			if x.IsNull() {
				return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: fmt.Sprintf("element %d of a %s array is NULL", i, t.Elem())}
			}
			elems[i] = x
		}
		return cim.ArrayOf(t.Elem(), elems)
	}
	if v.vt&vtArray != 0 {
		return cim.Null, mismatch(t, v)
	}
	switch {
	case t.IsInteger():
		if v.vt == vtBSTR {
			if t.IsUnsigned() {
				n, err := strconv.ParseUint(v.s, 10, 64)
				if err != nil || !fitsUnsigned(t, n) {
					return cim.Null, badNumber(t, v.s)
				}
				return unsigned(t, n), nil
			}
			n, err := strconv.ParseInt(v.s, 10, 64)
			if err != nil || !fitsSigned(t, n) {
				return cim.Null, badNumber(t, v.s)
			}
			return signed(t, n), nil
		}
		if !v.isInteger() || v.vt == vtBool {
			return cim.Null, mismatch(t, v)
		}
		// The VARIANT carries the bits; the CIM type says how to read them
		// (a VT_I4 of -1 is a uint32 of 4294967295).
		if t.IsUnsigned() {
			return unsigned(t, uint64(v.i)), nil
		}
		return signed(t, v.i), nil
	case t.IsReal():
		f := v.f
		switch {
		case v.vt == vtR4 || v.vt == vtR8:
		case v.vt == vtBSTR:
			var err error
			if f, err = strconv.ParseFloat(v.s, 64); err != nil {
				return cim.Null, badNumber(t, v.s)
			}
		default:
			return cim.Null, mismatch(t, v)
		}
		if t == cim.TypeReal32 {
			return cim.Real32(float32(f)), nil
		}
		return cim.Real64(f), nil
	case t == cim.TypeBoolean:
		if v.vt != vtBool {
			return cim.Null, mismatch(t, v)
		}
		return cim.Bool(v.i != 0), nil
	case t == cim.TypeChar16:
		if !v.isInteger() || v.vt == vtBool {
			return cim.Null, mismatch(t, v)
		}
		return cim.Char16(rune(uint16(v.i))), nil
	case t == cim.TypeString:
		if v.vt != vtBSTR {
			return cim.Null, mismatch(t, v)
		}
		return cim.String(v.s), nil
	case t == cim.TypeDatetime:
		if v.vt != vtBSTR {
			return cim.Null, mismatch(t, v)
		}
		return cim.String(fixOffset(v.s)).Convert(cim.TypeDatetime)
	case t == cim.TypeReference:
		if v.vt != vtBSTR {
			return cim.Null, mismatch(t, v)
		}
		return cim.RefString(v.s), nil
	case t == cim.TypeObject:
		if v.vt != vtUnknown || v.obj == nil {
			return cim.Null, mismatch(t, v)
		}
		return cim.Embedded(v.obj), nil
	}
	return cim.Null, mismatch(t, v)
}

func fitsUnsigned(t cim.Type, n uint64) bool {
	switch t {
	case cim.TypeUint8:
		return n <= math.MaxUint8
	case cim.TypeUint16:
		return n <= math.MaxUint16
	case cim.TypeUint32:
		return n <= math.MaxUint32
	}
	return true
}

func fitsSigned(t cim.Type, n int64) bool {
	switch t {
	case cim.TypeSint8:
		return n >= math.MinInt8 && n <= math.MaxInt8
	case cim.TypeSint16:
		return n >= math.MinInt16 && n <= math.MaxInt16
	case cim.TypeSint32:
		return n >= math.MinInt32 && n <= math.MaxInt32
	}
	return true
}

func unsigned(t cim.Type, n uint64) cim.Value {
	switch t {
	case cim.TypeUint8:
		return cim.Uint8(uint8(n))
	case cim.TypeUint16:
		return cim.Uint16(uint16(n))
	case cim.TypeUint32:
		return cim.Uint32(uint32(n))
	}
	return cim.Uint64(n)
}

func signed(t cim.Type, n int64) cim.Value {
	switch t {
	case cim.TypeSint8:
		return cim.Sint8(int8(n))
	case cim.TypeSint16:
		return cim.Sint16(int16(n))
	case cim.TypeSint32:
		return cim.Sint32(int32(n))
	}
	return cim.Sint64(n)
}

func mismatch(t cim.Type, v variant) *cim.Error {
	return &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: fmt.Sprintf("WMI gave a %s for a %s", vtName(v.vt), t)}
}

func badNumber(t cim.Type, s string) *cim.Error {
	return &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: fmt.Sprintf("WMI gave %q for a %s", s, t)}
}

// toVariant converts a value into the VARIANT WMI expects for its CIM type
// (the inverse of fromVariant, in WMI's automation conventions).
func toVariant(v cim.Value) (variant, error) {
	t := v.Type()
	if v.IsNull() {
		return variant{vt: vtNull}, nil
	}
	if t.IsArray() {
		elems := v.Array()
		out := variant{vt: vtArray | scalarVT(t.Elem()), arr: make([]variant, len(elems))}
		for i, e := range elems {
			x, err := toVariant(e)
			if err != nil {
				return variant{}, err
			}
			out.arr[i] = x
		}
		return out, nil
	}
	vt := scalarVT(t)
	switch t {
	case cim.TypeSint8, cim.TypeSint16, cim.TypeSint32:
		return variant{vt: vt, i: v.Int()}, nil
	case cim.TypeUint8, cim.TypeUint16:
		return variant{vt: vt, i: int64(v.Uint())}, nil
	case cim.TypeUint32:
		return variant{vt: vt, i: int64(int32(uint32(v.Uint())))}, nil
	case cim.TypeSint64:
		return variant{vt: vt, s: strconv.FormatInt(v.Int(), 10)}, nil
	case cim.TypeUint64:
		return variant{vt: vt, s: strconv.FormatUint(v.Uint(), 10)}, nil
	case cim.TypeReal32, cim.TypeReal64:
		return variant{vt: vt, f: v.Float()}, nil
	case cim.TypeBoolean:
		b := int64(0)
		if v.Bool() {
			b = 1
		}
		return variant{vt: vt, i: b}, nil
	case cim.TypeChar16:
		return variant{vt: vt, i: int64(int16(uint16(v.Char())))}, nil
	case cim.TypeString, cim.TypeDatetime, cim.TypeReference:
		return variant{vt: vt, s: v.Str()}, nil
	case cim.TypeObject:
		return variant{vt: vt, obj: v.Object()}, nil
	}
	return variant{}, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: fmt.Sprintf("a %s value has no VARIANT form", t)}
}

// scalarVT is the VARIANT type WMI uses for a scalar CIM type.
func scalarVT(t cim.Type) uint16 {
	switch t {
	case cim.TypeSint8, cim.TypeSint16, cim.TypeChar16:
		return vtI2
	case cim.TypeUint8:
		return vtUI1
	case cim.TypeUint16, cim.TypeSint32, cim.TypeUint32:
		return vtI4
	case cim.TypeSint64, cim.TypeUint64, cim.TypeString, cim.TypeDatetime, cim.TypeReference:
		return vtBSTR
	case cim.TypeReal32:
		return vtR4
	case cim.TypeReal64:
		return vtR8
	case cim.TypeBoolean:
		return vtBool
	case cim.TypeObject:
		return vtUnknown
	}
	return vtEmpty
}

// naturalValue converts a VARIANT by its own type, for qualifier values,
// which have no CIMTYPE: VT_I4 is sint32, VT_BSTR string, VT_BOOL boolean,
// VT_R8 real64, and arrays of those.
func naturalValue(v variant) (cim.Value, error) {
	if v.isNull() {
		return cim.Null, nil
	}
	t, ok := map[uint16]cim.Type{vtI1: cim.TypeSint8, vtI2: cim.TypeSint16, vtI4: cim.TypeSint32, vtI8: cim.TypeSint64,
		vtUI1: cim.TypeUint8, vtUI2: cim.TypeUint16, vtUI4: cim.TypeUint32, vtUI8: cim.TypeUint64,
		vtR4: cim.TypeReal32, vtR8: cim.TypeReal64, vtBSTR: cim.TypeString, vtBool: cim.TypeBoolean,
		vtUnknown: cim.TypeObject}[v.vt&^vtArray]
	if !ok {
		return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: "WMI gave a qualifier of type " + vtName(v.vt)}
	}
	if v.vt&vtArray != 0 {
		t = t.ArrayOf()
	}
	return fromVariant(t, v)
}

// fixOffset pads a datetime's UTC offset written with two digits
// ("…+00", as Wine's WMI writes it) to the three DMTF requires; anything
// else is left for the datetime parser to judge.
func fixOffset(s string) string {
	if n := len(s); n == 24 && s[14] == '.' && (s[21] == '+' || s[21] == '-') && isDigit(s[22]) && isDigit(s[23]) {
		return s[:22] + "0" + s[22:]
	}
	return s
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
