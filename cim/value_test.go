package cim

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestScalarAccessors(t *testing.T) {
	tests := []struct {
		v    Value
		typ  Type
		i    int64
		u    uint64
		f    float64
		text string
		str  string
	}{
		{Sint8(-128), TypeSint8, -128, 0xFFFFFFFFFFFFFF80, -128, "-128", "-128"},
		{Sint16(math.MaxInt16), TypeSint16, math.MaxInt16, math.MaxInt16, math.MaxInt16, "32767", "32767"},
		{Sint32(-1), TypeSint32, -1, math.MaxUint64, -1, "-1", "-1"},
		{Sint64(math.MinInt64), TypeSint64, math.MinInt64, 1 << 63, math.MinInt64, "-9223372036854775808", "-9223372036854775808"},
		{Uint8(255), TypeUint8, 255, 255, 255, "255", "255"},
		{Uint16(65535), TypeUint16, 65535, 65535, 65535, "65535", "65535"},
		{Uint32(math.MaxUint32), TypeUint32, math.MaxUint32, math.MaxUint32, math.MaxUint32, "4294967295", "4294967295"},
		{Uint64(math.MaxUint64), TypeUint64, -1, math.MaxUint64, math.MaxUint64, "18446744073709551615", "18446744073709551615"},
		{Real32(1.5), TypeReal32, 1, 1, 1.5, "1.5", "1.5"},
		{Real64(-2.25), TypeReal64, -2, 0, -2.25, "-2.25", "-2.25"}, // Uint of a negative real is not checked
		{Bool(true), TypeBoolean, 1, 1, 1, "true", "true"},
		{Bool(false), TypeBoolean, 0, 0, 0, "false", "false"},
		{Char16('é'), TypeChar16, 0xE9, 0xE9, 0xE9, "é", "é"},
		{String("a\"b"), TypeString, 0, 0, 0, "a\"b", `"a\"b"`},
		{Null, TypeEmpty, 0, 0, 0, "", "NULL"},
	}
	for _, tt := range tests {
		if tt.v.Type() != tt.typ {
			t.Errorf("%#v: Type() = %s, want %s", tt.v, tt.v.Type(), tt.typ)
		}
		if got := tt.v.Int(); got != tt.i {
			t.Errorf("%#v: Int() = %d, want %d", tt.v, got, tt.i)
		}
		if got := tt.v.Uint(); got != tt.u && !tt.typ.IsReal() {
			t.Errorf("%#v: Uint() = %d, want %d", tt.v, got, tt.u)
		}
		if got := tt.v.Float(); got != tt.f {
			t.Errorf("%#v: Float() = %g, want %g", tt.v, got, tt.f)
		}
		if got := tt.v.Text(); got != tt.text {
			t.Errorf("%#v: Text() = %q, want %q", tt.v, got, tt.text)
		}
		if got := tt.v.String(); got != tt.str {
			t.Errorf("%#v: String() = %q, want %q", tt.v, got, tt.str)
		}
		if tt.v.IsNull() != (tt.typ == TypeEmpty) {
			t.Errorf("%#v: IsNull() = %v", tt.v, tt.v.IsNull())
		}
	}
	if !Bool(true).Bool() || Bool(false).Bool() {
		t.Error("Bool() does not round-trip")
	}
	if Char16('Ω').Char() != 'Ω' {
		t.Error("Char() does not round-trip")
	}
	var zero Value
	if !zero.IsNull() || zero.Type() != TypeEmpty {
		t.Error("the zero Value is not NULL")
	}
}

var (
	sinkValue Value
	sinkInt   int64
	sinkStr   string
)

// TestValueScalarNoAlloc holds the promise on Value: building and reading a
// scalar does not allocate.
func TestValueScalarNoAlloc(t *testing.T) {
	s := "some text"
	n := testing.AllocsPerRun(200, func() {
		v := Sint32(int32(sinkInt))
		sinkInt += v.Int()
		v = Uint64(uint64(sinkInt))
		sinkInt += int64(v.Uint())
		v = Real64(1.5)
		sinkInt += int64(v.Float())
		v = Bool(sinkInt > 0)
		if v.Bool() {
			sinkInt++
		}
		v = String(s)
		sinkStr = v.Str()
		v = Char16('x')
		sinkInt += int64(v.Char())
		sinkValue = v
		if c, ok := Compare(Sint32(3), Uint8(4)); ok {
			sinkInt += int64(c)
		}
		if Equal(String("abc"), String("ABC")) {
			sinkInt++
		}
		w, _ := Uint8(7).Convert(TypeSint64)
		sinkInt += w.Int()
	})
	if n != 0 {
		t.Errorf("scalar Values allocate: %v allocations per run", n)
	}
}

func BenchmarkValueScalar(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		v := Sint64(sinkInt)
		sinkInt += v.Int()
		v = String("x")
		sinkStr = v.Str()
		v, _ = Uint16(9).Convert(TypeUint32)
		sinkValue = v
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		v    Value
		to   Type
		want Value // Null with ok=false: want an error
		ok   bool
	}{
		// Integers between widths.
		{Sint64(127), TypeSint8, Sint8(127), true},
		{Sint64(128), TypeSint8, Null, false},
		{Sint64(-129), TypeSint8, Null, false},
		{Sint64(-1), TypeUint8, Null, false},
		{Sint64(-1), TypeUint64, Null, false},
		{Uint64(math.MaxUint64), TypeUint64, Uint64(math.MaxUint64), true},
		{Uint64(math.MaxUint64), TypeSint64, Null, false},
		{Uint64(1 << 63), TypeUint64, Uint64(1 << 63), true},
		{Uint32(math.MaxUint32), TypeSint32, Null, false},
		{Uint32(math.MaxUint32), TypeSint64, Sint64(math.MaxUint32), true},
		{Sint32(65535), TypeUint16, Uint16(65535), true},
		{Sint32(65536), TypeUint16, Null, false},
		{Sint64(math.MinInt32), TypeSint32, Sint32(math.MinInt32), true},
		{Sint64(math.MinInt32 - 1), TypeSint32, Null, false},
		// Strings to integers: decimal and hexadecimal, trimmed.
		{String("42"), TypeUint32, Uint32(42), true},
		{String(" 42 "), TypeUint32, Uint32(42), true},
		{String("+42"), TypeSint16, Sint16(42), true},
		{String("-42"), TypeSint16, Sint16(-42), true},
		{String("-42"), TypeUint16, Null, false},
		{String("0x1F"), TypeUint8, Uint8(31), true},
		{String("0XfF"), TypeUint8, Uint8(255), true},
		{String("0x100"), TypeUint8, Null, false},
		{String("-0x10"), TypeSint32, Sint32(-16), true},
		{String("-0x8000000000000000"), TypeSint64, Sint64(math.MinInt64), true},
		{String("0xFFFFFFFFFFFFFFFF"), TypeUint64, Uint64(math.MaxUint64), true},
		{String("0xFFFFFFFFFFFFFFFF"), TypeSint64, Null, false}, // not -1
		{String("0xFFFFFFFFFFFFFFFF"), TypeSint32, Null, false},
		{String("-0xFFFFFFFFFFFFFFFF"), TypeSint64, Null, false}, // not 1
		{String("0x8000000000000000"), TypeSint64, Null, false},
		{String("18446744073709551615"), TypeUint64, Uint64(math.MaxUint64), true},
		{String("18446744073709551616"), TypeUint64, Null, false},
		{String("9223372036854775808"), TypeSint64, Null, false},
		{String("0x"), TypeUint32, Null, false},
		{String("1.0"), TypeUint32, Null, false},
		{String("abc"), TypeSint32, Null, false},
		{String(""), TypeSint32, Null, false},
		// Reals and integers.
		{Real64(3), TypeUint8, Uint8(3), true},
		{Real64(3.5), TypeUint8, Null, false},
		{Real64(-1), TypeUint32, Null, false},
		{Real64(1e20), TypeSint64, Null, false},
		{Real64(1e19), TypeUint64, Uint64(1e19), true},
		{Real64(math.NaN()), TypeSint32, Null, false},
		{Real64(math.Inf(1)), TypeSint64, Null, false},
		{Sint32(3), TypeReal64, Real64(3), true},
		{String("2.5"), TypeReal32, Real32(2.5), true},
		{String("x"), TypeReal64, Null, false},
		{Bool(true), TypeReal64, Null, false},
		// Booleans.
		{String("TRUE"), TypeBoolean, Bool(true), true},
		{String("false"), TypeBoolean, Bool(false), true},
		{String("1"), TypeBoolean, Bool(true), true},
		{String("yes"), TypeBoolean, Null, false},
		{Sint32(2), TypeBoolean, Bool(true), true},
		{Bool(true), TypeUint8, Uint8(1), true},
		// Strings from anything scalar.
		{Sint32(-5), TypeString, String("-5"), true},
		{Uint64(math.MaxUint64), TypeString, String("18446744073709551615"), true},
		{Bool(false), TypeString, String("false"), true},
		{Real64(0.5), TypeString, String("0.5"), true},
		// char16.
		{String("A"), TypeChar16, Char16('A'), true},
		{String("AB"), TypeChar16, Null, false},
		{String("😀"), TypeChar16, Null, false}, // outside the BMP: no silent truncation
		{Uint32(0x263A), TypeChar16, Char16(0x263A), true},
		{Uint32(0x10000), TypeChar16, Null, false},
		{Char16('A'), TypeUint16, Uint16(65), true},
		// Datetimes and references parse their text.
		{String("19980401135809.000000+000"), TypeDatetime, DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13, Minute: 58, Second: 9}), true},
		{String("1998-04-01"), TypeDatetime, Null, false},
		{String(`C.K="v"`), TypeReference, RefString(`C.K="v"`), true},
		{String(`C.K=`), TypeReference, Null, false},
		{Sint32(1), TypeDatetime, Null, false},
		{Sint32(1), TypeReference, Null, false},
		// Arrays.
		{Array(TypeSint64, Sint64(1), Sint64(2)), TypeUint8.ArrayOf(), Array(TypeUint8, Uint8(1), Uint8(2)), true},
		{Array(TypeSint64, Sint64(1), Sint64(-2)), TypeUint8.ArrayOf(), Null, false},
		{Array(TypeSint64, Sint64(1)), TypeUint8, Null, false},
		{Sint64(1), TypeUint8.ArrayOf(), Null, false},
		// NULL converts to NULL.
		{Null, TypeUint32, Null, true},
	}
	for _, tt := range tests {
		got, err := tt.v.Convert(tt.to)
		if !tt.ok {
			if err == nil {
				t.Errorf("%#v.Convert(%s) = %#v, want an error", tt.v, tt.to, got)
			} else if !errors.Is(err, ErrTypeMismatch) {
				t.Errorf("%#v.Convert(%s): %v, want WBEM_E_TYPE_MISMATCH", tt.v, tt.to, err)
			} else if !strings.Contains(err.Error(), tt.to.Elem().String()) {
				t.Errorf("%#v.Convert(%s): %q does not name the type", tt.v, tt.to, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%#v.Convert(%s): %v", tt.v, tt.to, err)
			continue
		}
		if got.Type() != tt.want.Type() || !Equal(got, tt.want) {
			t.Errorf("%#v.Convert(%s) = %#v, want %#v", tt.v, tt.to, got, tt.want)
		}
	}
}

func TestCompareAndEqual(t *testing.T) {
	tests := []struct {
		a, b Value
		c    int
		ok   bool
	}{
		{Sint32(1), Sint32(2), -1, true},
		{Sint64(-1), Uint64(math.MaxUint64), -1, true},
		{Uint64(math.MaxUint64), Sint64(-1), 1, true},
		{Sint64(math.MinInt64), Sint64(math.MaxInt64), -1, true},
		{Uint8(7), Sint64(7), 0, true},
		{Real64(1.5), Sint32(1), 1, true},
		{Real32(0.5), Real64(0.5), 0, true},
		{Bool(true), Sint32(1), 0, true},
		{Bool(false), Bool(true), -1, true},
		{Sint32(5), String("5"), 0, true},
		{String("0x10"), Uint32(16), 0, true},
		{Sint32(5), String("five"), 0, false},
		{String("abc"), String("ABC"), 0, true},
		{String("abc"), String("abd"), -1, true},
		{String("ab"), String("abc"), -1, true},
		{String("Ärger"), String("äRGER"), 0, true},
		{String("b"), String("A"), 1, true},
		{Char16('a'), Char16('b'), -1, true},
		// Datetimes by instant, wildcards character by character.
		{DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13}), DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 14, Offset: 60}), 0, true},
		{DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13}), DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13, Offset: 60}), 1, true},
		{String("19980401130000.000000+000"), DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 14, Offset: 60}), 0, true},
		{DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13, Offset: Wildcard}), DatetimeValue(Datetime{Year: 1998, Month: 4, Day: 1, Hour: 13}), -1, true},
		{Null, Null, 0, false},
		{Null, Sint32(0), 0, false},
		{Array(TypeSint32, Sint32(1)), Sint32(1), 0, false},
	}
	for _, tt := range tests {
		c, ok := Compare(tt.a, tt.b)
		if c != tt.c || ok != tt.ok {
			t.Errorf("Compare(%#v, %#v) = %d, %v; want %d, %v", tt.a, tt.b, c, ok, tt.c, tt.ok)
		}
		if eq := Equal(tt.a, tt.b); eq != (tt.ok && tt.c == 0) && !(tt.a.IsNull() && tt.b.IsNull()) {
			t.Errorf("Equal(%#v, %#v) = %v", tt.a, tt.b, eq)
		}
	}

	eq := []struct {
		a, b Value
		want bool
	}{
		{Null, Null, true},
		{Null, String(""), false},
		{String(""), Null, false},
		{Array(TypeString, String("a"), String("B")), Array(TypeString, String("A"), String("b")), true},
		{Array(TypeString, String("a")), Array(TypeString, String("a"), String("b")), false},
		{Array(TypeSint32, Sint32(1)), Array(TypeUint8, Uint8(1)), true},
		{RefString(`\\srv\root\cimv2:C.K="v",L=1`), RefString(`c.l=1,k='V'`), true},
		{RefString(`C.K=1`), RefString(`C.K=2`), false},
		{RefString(`not a path`), RefString(`NOT A PATH`), true},
	}
	for _, tt := range eq {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	inst := (&Class{Name: "E"}).NewInstance()
	if !Equal(Embedded(inst), Embedded(inst)) || Equal(Embedded(inst), Embedded(inst.Clone())) {
		t.Error("embedded objects compare by identity")
	}
}

func TestValueOf(t *testing.T) {
	when := time.Date(2024, 3, 1, 12, 0, 0, 5000, time.FixedZone("", -120*60))
	tests := []struct {
		x    any
		want Value
	}{
		{nil, Null},
		{int8(-1), Sint8(-1)},
		{int16(-2), Sint16(-2)},
		{int32(-3), Sint32(-3)},
		{int64(-4), Sint64(-4)},
		{int(-5), Sint64(-5)},
		{uint8(1), Uint8(1)},
		{uint16(2), Uint16(2)},
		{uint32(3), Uint32(3)},
		{uint64(4), Uint64(4)},
		{uint(5), Uint64(5)},
		{float32(1.5), Real32(1.5)},
		{2.5, Real64(2.5)},
		{true, Bool(true)},
		{"s", String("s")},
		{Sint16(9), Sint16(9)},
		{when, DatetimeValue(Datetime{Year: 2024, Month: 3, Day: 1, Hour: 12, Microsecond: 5, Offset: -120})},
		{36*time.Hour + time.Second, DatetimeValue(Datetime{Interval: true, Days: 1, Hour: 12, Second: 1})},
		{Datetime{Year: 2000, Month: 1, Day: 1}, DatetimeValue(Datetime{Year: 2000, Month: 1, Day: 1})},
		{ObjectPath{Class: "C", Keys: []KeyBinding{kb("K", Sint32(1))}}, RefString("C.K=1")},
		{[]string{"a", "b"}, Array(TypeString, String("a"), String("b"))},
		{[]int64{1}, Array(TypeSint64, Sint64(1))},
		{[]int32{1}, Array(TypeSint32, Sint32(1))},
		{[]uint32{1}, Array(TypeUint32, Uint32(1))},
		{[]uint64{1}, Array(TypeUint64, Uint64(1))},
		{[]uint16{1}, Array(TypeUint16, Uint16(1))},
		{[]uint8{1}, Array(TypeUint8, Uint8(1))},
		{[]bool{true}, Array(TypeBoolean, Bool(true))},
		{[]float64{1}, Array(TypeReal64, Real64(1))},
		{[]Value{Sint32(1), String("2")}, Array(TypeSint32, Sint32(1), Sint32(2))},
	}
	for _, tt := range tests {
		got, err := ValueOf(tt.x)
		if err != nil {
			t.Errorf("ValueOf(%T %v): %v", tt.x, tt.x, err)
			continue
		}
		if got.Type() != tt.want.Type() || !Equal(got, tt.want) || got.Str() != tt.want.Str() {
			t.Errorf("ValueOf(%T %v) = %#v, want %#v", tt.x, tt.x, got, tt.want)
		}
	}
	if v, err := ValueOf([]Value{}); err != nil || v.Type() != TypeString.ArrayOf() || len(v.Array()) != 0 {
		t.Errorf("ValueOf(empty []Value) = %#v, %v", v, err)
	}
	inst := (&Class{Name: "E"}).NewInstance()
	if v, err := ValueOf(inst); err != nil || v.Type() != TypeObject || v.Instance() != inst || v.Text() != "E" {
		t.Errorf("ValueOf(instance) = %#v, %v", v, err)
	}
	for _, x := range []any{struct{}{}, []any{1}, complex(1, 2), []Value{Sint32(1), String("x")}} {
		if v, err := ValueOf(x); !errors.Is(err, ErrTypeMismatch) {
			t.Errorf("ValueOf(%T) = %#v, %v; want WBEM_E_TYPE_MISMATCH", x, v, err)
		}
	}
}

func TestArraysAndGoValue(t *testing.T) {
	a := Array(TypeUint32, Sint32(1), String("2"), Uint8(3))
	if a.Type() != TypeUint32.ArrayOf() || !a.Type().IsArray() || a.Type().Elem() != TypeUint32 {
		t.Fatalf("Array type = %s", a.Type())
	}
	if a.Text() != "{1, 2, 3}" {
		t.Errorf("Text() = %q", a.Text())
	}
	g, ok := a.GoValue().([]any)
	if !ok || len(g) != 3 || g[1] != uint64(2) {
		t.Errorf("GoValue() = %#v", a.GoValue())
	}
	if _, err := ArrayOf(TypeUint8, []Value{Sint32(300)}); !errors.Is(err, ErrTypeMismatch) {
		t.Errorf("ArrayOf with an element out of range: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Array with a bad element did not panic")
			}
		}()
		Array(TypeUint8, Sint32(-1))
	}()
	for _, tt := range []struct {
		v    Value
		want any
	}{
		{Null, nil}, {Sint8(-1), int64(-1)}, {Uint16(1), uint64(1)}, {Real32(0.5), 0.5},
		{Bool(true), true}, {Char16('x'), 'x'}, {String("s"), "s"}, {RefString("C"), "C"},
	} {
		if got := tt.v.GoValue(); got != tt.want {
			t.Errorf("%#v.GoValue() = %#v, want %#v", tt.v, got, tt.want)
		}
	}
	if Embedded(nil) != Null {
		t.Error("Embedded(nil) is not NULL")
	}
}

func TestParseType(t *testing.T) {
	for s, want := range map[string]Type{
		"uint32": TypeUint32, "String": TypeString, "ref": TypeReference, "reference": TypeReference,
		"datetime[]": TypeDatetime.ArrayOf(), "CHAR16": TypeChar16, "object": TypeObject, "real64[]": TypeReal64.ArrayOf(),
	} {
		got, err := ParseType(s)
		if err != nil || got != want {
			t.Errorf("ParseType(%q) = %v, %v; want %v", s, got, err, want)
		}
		if back, _ := ParseType(got.String()); back != got {
			t.Errorf("ParseType(%s.String()) = %v", got, back)
		}
	}
	if _, err := ParseType("int"); StatusOf(err) != WBEM_E_INVALID_CIM_TYPE {
		t.Errorf("ParseType(int): %v", err)
	}
	if TypeIllegal.Valid() || !TypeSint8.ArrayOf().Valid() || Type(0x2FFF).Valid() {
		t.Error("Valid is wrong")
	}
	if TypeEmpty.String() != "empty" || Type(999).String() != "cimtype(999)" || TypeSint64.ArrayOf().String() != "sint64[]" {
		t.Error("Type.String is wrong")
	}
	// The CIMTYPE numbers are WMI's.
	nums := map[Type]uint16{TypeSint8: 16, TypeUint8: 17, TypeSint16: 2, TypeUint16: 18, TypeSint32: 3, TypeUint32: 19,
		TypeSint64: 20, TypeUint64: 21, TypeReal32: 4, TypeReal64: 5, TypeBoolean: 11, TypeString: 8, TypeDatetime: 101,
		TypeReference: 102, TypeChar16: 103, TypeObject: 13, FlagArray: 0x2000}
	for typ, n := range nums {
		if uint16(typ) != n {
			t.Errorf("%s = %d, want %d", typ, uint16(typ), n)
		}
	}
}

// Editing what Array returns leaves the value as it was: Values are
// immutable.
func TestArrayReturnsACopy(t *testing.T) {
	v := Array(TypeUint32, Uint32(1), Uint32(2), Uint32(3))
	a := v.Array()
	a[0] = Uint32(99)
	_ = append(a[:1], String("x"))
	if got := v.Text(); got != "{1, 2, 3}" {
		t.Fatalf("after editing Array's slice the value is %s", got)
	}
	if v.Len() != 3 || String("s").Len() != 0 || Null.Len() != 0 {
		t.Errorf("Len = %d, %d, %d", v.Len(), String("s").Len(), Null.Len())
	}
	var sum uint64
	for i, e := range v.Elems() {
		if e.Uint() != uint64(i+1) {
			t.Errorf("element %d = %s", i, e)
		}
		sum += e.Uint()
	}
	for range String("s").Elems() {
		t.Error("a scalar has elements")
	}
	if sum != 6 {
		t.Errorf("Elems summed to %d", sum)
	}
	for i := range v.Elems() {
		if i == 1 {
			break // stopping early is allowed
		}
	}
}
