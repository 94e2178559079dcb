package cim

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Value is a typed CIM value or NULL. The zero Value is NULL. Scalars are held
// inline, so building one does not allocate; arrays hold their elements as a
// []Value and embedded objects hold the Object.
//
// Values are immutable: no accessor gives a way to change one. Array returns
// a copy of the elements (Len and Elems read them without copying); an
// embedded object is held by reference, so an object put into a Value must
// not be changed afterwards, and one read out of it (Object, Instance) must
// be cloned before it is changed.
type Value struct {
	t Type
	// n holds integers (two's complement for signed), booleans, float bits
	// and char16 values; for strings, datetimes, references and arrays it is
	// the length, and for objects the genus.
	n uint64
	// p points at the bytes of a string, datetime or reference, the first
	// element of an array, or the *Instance or *Class of an object. Keeping
	// one pointer instead of a string and an interface makes a Value 24
	// bytes, which is what an instance's layout costs per property.
	p unsafe.Pointer
}

func strValue(t Type, s string) Value {
	return Value{t: t, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

func arrValue(t Type, a []Value) Value {
	return Value{t: t, n: uint64(len(a)), p: unsafe.Pointer(unsafe.SliceData(a))}
}

func (v Value) str() string {
	switch v.t {
	case TypeString, TypeDatetime, TypeReference:
		return unsafe.String((*byte)(v.p), int(v.n))
	}
	return ""
}

// Null is the NULL value.
var Null Value

// Sint8 returns a sint8 value.
func Sint8(v int8) Value { return Value{t: TypeSint8, n: uint64(int64(v))} }

// Sint16 returns a sint16 value.
func Sint16(v int16) Value { return Value{t: TypeSint16, n: uint64(int64(v))} }

// Sint32 returns a sint32 value.
func Sint32(v int32) Value { return Value{t: TypeSint32, n: uint64(int64(v))} }

// Sint64 returns a sint64 value.
func Sint64(v int64) Value { return Value{t: TypeSint64, n: uint64(v)} }

// Uint8 returns a uint8 value.
func Uint8(v uint8) Value { return Value{t: TypeUint8, n: uint64(v)} }

// Uint16 returns a uint16 value.
func Uint16(v uint16) Value { return Value{t: TypeUint16, n: uint64(v)} }

// Uint32 returns a uint32 value.
func Uint32(v uint32) Value { return Value{t: TypeUint32, n: uint64(v)} }

// Uint64 returns a uint64 value.
func Uint64(v uint64) Value { return Value{t: TypeUint64, n: v} }

// Real32 returns a real32 value.
func Real32(v float32) Value { return Value{t: TypeReal32, n: uint64(math.Float32bits(v))} }

// Real64 returns a real64 value.
func Real64(v float64) Value { return Value{t: TypeReal64, n: math.Float64bits(v)} }

// Bool returns a boolean value.
func Bool(v bool) Value {
	if v {
		return Value{t: TypeBoolean, n: 1}
	}
	return Value{t: TypeBoolean}
}

// String returns a string value.
func String(v string) Value { return strValue(TypeString, v) }

// Char16 returns a char16 value.
func Char16(v rune) Value { return Value{t: TypeChar16, n: uint64(uint16(v))} }

// DatetimeValue returns a datetime value holding d in DMTF form.
func DatetimeValue(d Datetime) Value { return strValue(TypeDatetime, d.String()) }

// TimeValue returns a datetime value for the point in time t.
func TimeValue(t time.Time) Value { return DatetimeValue(DatetimeFromTime(t)) }

// IntervalValue returns a datetime value holding the interval d.
func IntervalValue(d time.Duration) Value { return DatetimeValue(IntervalFromDuration(d)) }

// Ref returns a reference value to the object at path.
func Ref(path ObjectPath) Value { return strValue(TypeReference, path.String()) }

// RefString returns a reference value holding an object path's text as is.
func RefString(path string) Value { return strValue(TypeReference, path) }

// Embedded returns an object value holding obj (an embedded instance or class).
// A nil obj gives NULL.
func Embedded(obj Object) Value {
	if obj == nil {
		return Null
	}
	switch o := obj.(type) {
	case *Instance:
		if o == nil {
			return Null
		}
		return Value{t: TypeObject, n: uint64(GenusInstance), p: unsafe.Pointer(o)}
	case *Class:
		if o == nil {
			return Null
		}
		return Value{t: TypeObject, n: uint64(GenusClass), p: unsafe.Pointer(o)}
	}
	return Null
}

// Array returns an array of elem-typed values. Each element is converted to elem;
// it panics if one cannot be, so use ArrayOf for values from outside the program.
func Array(elem Type, vals ...Value) Value {
	v, err := ArrayOf(elem, vals)
	if err != nil {
		panic(err)
	}
	return v
}

// ArrayOf returns an array of elem-typed values, converting each element.
func ArrayOf(elem Type, vals []Value) (Value, error) {
	elem = elem.Elem()
	out := make([]Value, len(vals))
	for i, e := range vals {
		c, err := e.Convert(elem)
		if err != nil {
			return Null, err
		}
		out[i] = c
	}
	return arrValue(elem.ArrayOf(), out), nil
}

// Type returns the value's CIM type; TypeEmpty for NULL.
func (v Value) Type() Type { return v.t }

// IsNull reports whether v is NULL.
func (v Value) IsNull() bool { return v.t == TypeEmpty }

// Int returns an integer value as int64 (unsigned values above MaxInt64 wrap),
// a boolean as 0 or 1, a real truncated and a char16 as its code.
func (v Value) Int() int64 {
	if !v.t.scalarNumber() {
		return 0
	}
	switch {
	case v.t.IsReal():
		return int64(v.Float())
	case v.t.IsSigned():
		return int64(v.n)
	}
	return int64(v.n)
}

// Uint returns an integer value as uint64.
func (v Value) Uint() uint64 {
	if !v.t.scalarNumber() {
		return 0
	}
	if v.t.IsReal() {
		return uint64(v.Float())
	}
	return v.n
}

// Float returns a numeric value as float64.
func (v Value) Float() float64 {
	if !v.t.scalarNumber() {
		return 0
	}
	switch {
	case v.t == TypeReal32:
		return float64(math.Float32frombits(uint32(v.n)))
	case v.t == TypeReal64:
		return math.Float64frombits(v.n)
	case v.t.IsSigned():
		return float64(int64(v.n))
	}
	return float64(v.n)
}

// Bool returns a boolean's value; any non-zero number is true.
func (v Value) Bool() bool { return v.t.scalarNumber() && v.n != 0 }

// Char returns a char16 value.
func (v Value) Char() rune {
	if !v.t.scalarNumber() {
		return 0
	}
	return rune(uint16(v.n))
}

// scalarNumber reports whether n holds the value of a scalar of type t.
func (t Type) scalarNumber() bool {
	return t.IsInteger() || t.IsReal() || t == TypeBoolean || t == TypeChar16
}

// Str returns the text of a string, datetime or reference value, and "" for
// other types (use Text to format any value).
func (v Value) Str() string { return v.str() }

// Datetime parses a datetime value.
func (v Value) Datetime() (Datetime, error) { return ParseDatetime(v.str()) }

// Path parses a reference value's object path.
func (v Value) Path() (ObjectPath, error) { return ParsePath(v.str()) }

// Array returns a copy of the elements of an array value; nil for other
// values. Len and Elems read the elements without copying them.
func (v Value) Array() []Value {
	return slices.Clone(v.elems())
}

// Len returns the number of elements of an array value; 0 for other values.
func (v Value) Len() int { return len(v.elems()) }

// Elems iterates over the index and the value of each element of an array
// value, without copying them; over nothing for other values.
func (v Value) Elems() iter.Seq2[int, Value] {
	return func(yield func(int, Value) bool) {
		for i, e := range v.elems() {
			if !yield(i, e) {
				return
			}
		}
	}
}

// elems is the array's own elements, for reading only.
func (v Value) elems() []Value {
	if !v.t.IsArray() || v.p == nil {
		return nil
	}
	return unsafe.Slice((*Value)(v.p), int(v.n))
}

// Object returns the embedded object of an object value; nil otherwise.
func (v Value) Object() Object {
	if v.t != TypeObject || v.p == nil {
		return nil
	}
	if v.n == uint64(GenusClass) {
		return (*Class)(v.p)
	}
	return (*Instance)(v.p)
}

// Instance returns the embedded instance of an object value; nil otherwise.
func (v Value) Instance() *Instance {
	if v.t != TypeObject || v.n != uint64(GenusInstance) {
		return nil
	}
	return (*Instance)(v.p)
}

// Text formats v as plain text: numbers in decimal, booleans as "true"/"false",
// strings, datetimes and references as they are, arrays as "{a, b}", NULL as "".
func (v Value) Text() string {
	switch {
	case v.t == TypeEmpty:
		return ""
	case v.t.IsArray():
		var b strings.Builder
		b.WriteByte('{')
		for i, e := range v.elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(e.Text())
		}
		b.WriteByte('}')
		return b.String()
	case v.t.IsSigned():
		return strconv.FormatInt(int64(v.n), 10)
	case v.t.IsUnsigned():
		return strconv.FormatUint(v.n, 10)
	case v.t == TypeReal32:
		return strconv.FormatFloat(v.Float(), 'g', -1, 32)
	case v.t == TypeReal64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	case v.t == TypeBoolean:
		return strconv.FormatBool(v.Bool())
	case v.t == TypeChar16:
		return string(v.Char())
	case v.t == TypeObject:
		if o := v.Object(); o != nil {
			return o.ClassName()
		}
		return ""
	}
	return v.str()
}

// String formats v for debugging: its text, quoted for strings, or "NULL".
func (v Value) String() string {
	switch v.t {
	case TypeEmpty:
		return "NULL"
	case TypeString, TypeDatetime, TypeReference:
		return strconv.Quote(v.str())
	}
	return v.Text()
}

// GoValue returns v as a Go value: int64, uint64, float64, bool, string,
// rune (char16), Object, []any for arrays, or nil for NULL.
func (v Value) GoValue() any {
	switch {
	case v.t == TypeEmpty:
		return nil
	case v.t.IsArray():
		a := v.elems()
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = e.GoValue()
		}
		return out
	case v.t.IsSigned():
		return v.Int()
	case v.t.IsUnsigned():
		return v.Uint()
	case v.t.IsReal():
		return v.Float()
	case v.t == TypeBoolean:
		return v.Bool()
	case v.t == TypeChar16:
		return v.Char()
	case v.t == TypeObject:
		return v.Object()
	}
	return v.str()
}

// ValueOf converts a Go value to a Value: the integer, float, bool and string
// kinds, rune slices are not special; time.Time gives a datetime, time.Duration
// an interval, ObjectPath a reference, Object an embedded object, Datetime a
// datetime, and slices of these arrays. nil gives NULL.
func ValueOf(x any) (Value, error) {
	switch x := x.(type) {
	case nil:
		return Null, nil
	case Value:
		return x, nil
	case int8:
		return Sint8(x), nil
	case int16:
		return Sint16(x), nil
	case int32:
		return Sint32(x), nil
	case int64:
		return Sint64(x), nil
	case int:
		return Sint64(int64(x)), nil
	case uint8:
		return Uint8(x), nil
	case uint16:
		return Uint16(x), nil
	case uint32:
		return Uint32(x), nil
	case uint64:
		return Uint64(x), nil
	case uint:
		return Uint64(uint64(x)), nil
	case float32:
		return Real32(x), nil
	case float64:
		return Real64(x), nil
	case bool:
		return Bool(x), nil
	case string:
		return String(x), nil
	case time.Time:
		return TimeValue(x), nil
	case time.Duration:
		return IntervalValue(x), nil
	case Datetime:
		return DatetimeValue(x), nil
	case ObjectPath:
		return Ref(x), nil
	case Object:
		return Embedded(x), nil
	case []string:
		return sliceValue(TypeString, x)
	case []int64:
		return sliceValue(TypeSint64, x)
	case []int32:
		return sliceValue(TypeSint32, x)
	case []uint32:
		return sliceValue(TypeUint32, x)
	case []uint64:
		return sliceValue(TypeUint64, x)
	case []uint16:
		return sliceValue(TypeUint16, x)
	case []uint8:
		return sliceValue(TypeUint8, x)
	case []bool:
		return sliceValue(TypeBoolean, x)
	case []float64:
		return sliceValue(TypeReal64, x)
	case []Value:
		if len(x) == 0 {
			return arrValue(TypeString.ArrayOf(), []Value{}), nil
		}
		return ArrayOf(x[0].t, x)
	}
	return Null, Errorf(WBEM_E_TYPE_MISMATCH, "cannot convert Go type %T to a CIM value", x)
}

func sliceValue[T any](elem Type, xs []T) (Value, error) {
	out := make([]Value, len(xs))
	for i, x := range xs {
		v, err := ValueOf(x)
		if err != nil {
			return Null, err
		}
		if out[i], err = v.Convert(elem); err != nil {
			return Null, err
		}
	}
	return arrValue(elem.ArrayOf(), out), nil
}

// Convert returns v as a value of type t: integers convert between widths when
// they fit, strings parse as numbers, booleans, datetimes and references, and
// numbers format as strings. NULL converts to NULL. A value that does not fit
// gives WBEM_E_TYPE_MISMATCH naming the value and the type.
func (v Value) Convert(t Type) (Value, error) {
	if v.t == t || v.t == TypeEmpty {
		return v, nil
	}
	if t.IsArray() {
		if !v.t.IsArray() {
			return Null, mismatch(v, t)
		}
		return ArrayOf(t.Elem(), v.elems())
	}
	if v.t.IsArray() {
		return Null, mismatch(v, t)
	}
	switch {
	case t.IsInteger():
		switch {
		case v.t.IsSigned():
			return intValue(t, int64(v.n), v)
		case v.t.IsUnsigned():
			if v.n > math.MaxInt64 {
				if t == TypeUint64 {
					return Uint64(v.n), nil
				}
				return Null, mismatch(v, t)
			}
			return intValue(t, int64(v.n), v)
		case v.t == TypeString:
			s := strings.TrimSpace(v.str())
			if t.IsUnsigned() {
				n, err := parseUint(s)
				if err != nil {
					return Null, mismatch(v, t)
				}
				if n > math.MaxInt64 {
					if t == TypeUint64 {
						return Uint64(n), nil
					}
					return Null, mismatch(v, t)
				}
				return intValue(t, int64(n), v)
			}
			n, err := parseInt(s)
			if err != nil {
				return Null, mismatch(v, t)
			}
			return intValue(t, n, v)
		case v.t.IsReal():
			f := v.Float()
			if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
				return Null, mismatch(v, t)
			}
			if t == TypeUint64 && f >= 0 && f < 1<<64 {
				return Uint64(uint64(f)), nil
			}
			if f < math.MinInt64 || f >= math.MaxInt64 {
				return Null, mismatch(v, t)
			}
			return intValue(t, int64(f), v)
		case v.t == TypeBoolean:
			return intValue(t, int64(v.n), v)
		case v.t == TypeChar16:
			return intValue(t, int64(v.n), v)
		}
	case t.IsReal():
		var f float64
		switch {
		case v.t.IsInteger() || v.t.IsReal():
			f = v.Float()
		case v.t == TypeString:
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(v.str()), 64); err != nil {
				return Null, mismatch(v, t)
			}
		default:
			return Null, mismatch(v, t)
		}
		if t == TypeReal32 {
			return Real32(float32(f)), nil
		}
		return Real64(f), nil
	case t == TypeBoolean:
		switch {
		case v.t.IsInteger():
			return Bool(v.n != 0), nil
		case v.t == TypeString:
			switch strings.ToLower(strings.TrimSpace(v.str())) {
			case "true", "1":
				return Bool(true), nil
			case "false", "0":
				return Bool(false), nil
			}
		}
	case t == TypeString:
		switch v.t {
		case TypeObject:
		default:
			return String(v.Text()), nil
		}
	case t == TypeChar16:
		switch {
		case v.t == TypeString && utf8.RuneCountInString(v.str()) == 1:
			if r, _ := utf8.DecodeRuneInString(v.str()); r <= 0xFFFF {
				return Char16(r), nil
			}
		case v.t.IsInteger() && v.n <= 0xFFFF:
			return Char16(rune(v.n)), nil
		}
	case t == TypeDatetime:
		if v.t == TypeString {
			if _, err := ParseDatetime(v.str()); err != nil {
				return Null, Errorf(WBEM_E_TYPE_MISMATCH, "value %s does not convert to %s: %s", v, t, AsError(err).Description)
			}
			return Value{t: TypeDatetime, n: v.n, p: v.p}, nil
		}
	case t == TypeReference:
		if v.t == TypeString {
			if _, err := ParsePath(v.str()); err != nil {
				return Null, Errorf(WBEM_E_TYPE_MISMATCH, "value %s does not convert to %s: %s", v, t, AsError(err).Description)
			}
			return Value{t: TypeReference, n: v.n, p: v.p}, nil
		}
	case t == TypeObject:
	}
	return Null, mismatch(v, t)
}

func mismatch(v Value, t Type) *Error {
	return Errorf(WBEM_E_TYPE_MISMATCH, "value %s of type %s does not convert to %s", v, v.t, t)
}

func parseInt(s string) (int64, error) {
	if h, ok := hexDigits(s); ok {
		n, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return 0, err
		}
		// Range-check before negating: 0xFFFF… must not wrap to -1.
		if s[0] == '-' {
			if n > 1<<63 {
				return 0, strconv.ErrRange
			}
			return -int64(n), nil
		}
		if n > math.MaxInt64 {
			return 0, strconv.ErrRange
		}
		return int64(n), nil
	}
	return strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
}

func parseUint(s string) (uint64, error) {
	if h, ok := hexDigits(s); ok && s[0] != '-' {
		return strconv.ParseUint(h, 16, 64)
	}
	return strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64)
}

func hexDigits(s string) (string, bool) {
	t := strings.TrimLeft(s, "+-")
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		return t[2:], true
	}
	return "", false
}

func intValue(t Type, n int64, from Value) (Value, error) {
	ok := true
	switch t {
	case TypeSint8:
		ok = n >= math.MinInt8 && n <= math.MaxInt8
	case TypeSint16:
		ok = n >= math.MinInt16 && n <= math.MaxInt16
	case TypeSint32:
		ok = n >= math.MinInt32 && n <= math.MaxInt32
	case TypeUint8:
		ok = n >= 0 && n <= math.MaxUint8
	case TypeUint16:
		ok = n >= 0 && n <= math.MaxUint16
	case TypeUint32:
		ok = n >= 0 && n <= math.MaxUint32
	case TypeUint64:
		ok = n >= 0
	}
	if !ok {
		return Null, Errorf(WBEM_E_TYPE_MISMATCH, "value %s is out of range for %s", from, t)
	}
	return Value{t: t, n: uint64(n)}, nil
}

// Equal reports whether a and b hold the same value: numbers compare by value
// across types, strings case-insensitively (as WMI compares them), references by
// their canonical path, arrays element by element. NULL equals only NULL.
func Equal(a, b Value) bool {
	if a.IsNull() || b.IsNull() {
		return a.IsNull() && b.IsNull()
	}
	if a.t.IsArray() || b.t.IsArray() {
		x, y := a.elems(), b.elems()
		if !a.t.IsArray() || !b.t.IsArray() || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if a.t == TypeReference && b.t == TypeReference {
		pa, err1 := ParsePath(a.str())
		pb, err2 := ParsePath(b.str())
		if err1 == nil && err2 == nil {
			return pa.Equal(pb)
		}
		return strings.EqualFold(a.str(), b.str())
	}
	if a.t == TypeObject || b.t == TypeObject {
		return a.t == b.t && a.p == b.p
	}
	c, ok := Compare(a, b)
	return ok && c == 0
}

// Compare orders two scalar values: numbers by value (a string or boolean on
// either side is converted to the other's type), strings case-insensitively,
// datetimes by their point in time when both are timestamps with offsets. ok is
// false when the values cannot be ordered (NULL, arrays, objects, or a failed
// conversion).
func Compare(a, b Value) (c int, ok bool) {
	if a.IsNull() || b.IsNull() || a.t.IsArray() || b.t.IsArray() || a.t == TypeObject || b.t == TypeObject {
		return 0, false
	}
	num := func(t Type) bool { return t.IsInteger() || t.IsReal() || t == TypeBoolean || t == TypeChar16 }
	switch {
	case num(a.t) && num(b.t):
		return compareNumbers(a, b), true
	case num(a.t):
		bb, err := b.Convert(a.t)
		if err != nil {
			return 0, false
		}
		return compareNumbers(a, bb), true
	case num(b.t):
		aa, err := a.Convert(b.t)
		if err != nil {
			return 0, false
		}
		return compareNumbers(aa, b), true
	}
	if a.t == TypeDatetime || b.t == TypeDatetime {
		da, err1 := ParseDatetime(a.str())
		db, err2 := ParseDatetime(b.str())
		if err1 == nil && err2 == nil {
			if c, ok := da.Compare(db); ok {
				return c, true
			}
		}
	}
	return compareFold(a.str(), b.str()), true
}

func compareNumbers(a, b Value) int {
	if a.t.IsReal() || b.t.IsReal() {
		x, y := a.Float(), b.Float()
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	aneg := a.t.IsSigned() && int64(a.n) < 0
	bneg := b.t.IsSigned() && int64(b.n) < 0
	switch {
	case aneg && !bneg:
		return -1
	case !aneg && bneg:
		return 1
	case aneg && bneg:
		x, y := int64(a.n), int64(b.n)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	}
	if a.n < b.n {
		return -1
	} else if a.n > b.n {
		return 1
	}
	return 0
}

// compareFold compares strings case-insensitively without allocating.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		var ra, rb rune
		var na, nb int
		if a[0] < 0x80 {
			ra, na = rune(a[0]), 1
		} else {
			ra, na = decodeRune(a)
		}
		if b[0] < 0x80 {
			rb, nb = rune(b[0]), 1
		} else {
			rb, nb = decodeRune(b)
		}
		ra, rb = foldRune(ra), foldRune(rb)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// GoString implements fmt.GoStringer for readable test failures.
func (v Value) GoString() string { return fmt.Sprintf("cim.Value{%s %s}", v.t, v) }
