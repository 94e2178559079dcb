package mof

import (
	"math"
	"strconv"

	"github.com/gowbem/gowbem/cim"
)

// convert turns a literal into a value of type t. It follows what mofcomp
// accepts: integers fit integer, real, char16 and string properties; reals fit
// reals and strings; strings fit strings, char16 (one character), datetimes (a
// valid DMTF datetime) and references (a valid object path); an embedded
// instance fits an object property of its class or a superclass.
func (c *compiler) convert(l *literal, t cim.Type, refClass string, depth int) (cim.Value, *Error) {
	if l.kind == litNull {
		return cim.Null, nil
	}
	if l.kind == litArray {
		if !t.IsArray() {
			return cim.Null, errAt(l.tok, cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT, "an array is given for a %s value", t)
		}
		vals := make([]cim.Value, len(l.elems))
		for i := range l.elems {
			e := &l.elems[i]
			if e.kind == litNull {
				return cim.Null, errAt(e.tok, cim.WBEMMOF_E_NULL_ARRAY_ELEM, "an array element cannot be NULL")
			}
			v, err := c.convert(e, t.Elem(), refClass, depth)
			if err != nil {
				return cim.Null, err
			}
			vals[i] = v
		}
		v, err := cim.ArrayOf(t.Elem(), vals)
		if err != nil {
			return cim.Null, errAt(l.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "%s", cim.AsError(err).Description)
		}
		return v, nil
	}
	if t.IsArray() {
		return cim.Null, errAt(l.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "a %s value needs an array {…}", t)
	}
	mismatch := func() (cim.Value, *Error) {
		return cim.Null, errAt(l.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "value does not convert to %s", t)
	}
	switch l.kind {
	case litBool:
		if t == cim.TypeBoolean {
			return cim.Bool(l.b), nil
		}
	case litInt:
		switch {
		case t.IsInteger():
			v, ok := intValue(t, l.neg, l.u)
			if !ok {
				return cim.Null, errAt(l.tok, cim.WBEMMOF_E_OUT_OF_RANGE, "integer does not fit in %s", t)
			}
			return v, nil
		case t.IsReal():
			f := float64(l.u)
			if l.neg {
				f = -f
			}
			if t == cim.TypeReal32 {
				return cim.Real32(float32(f)), nil
			}
			return cim.Real64(f), nil
		case t == cim.TypeChar16:
			if l.neg || l.u > 0xFFFF {
				return cim.Null, errAt(l.tok, cim.WBEMMOF_E_OUT_OF_RANGE, "integer does not fit in char16")
			}
			return cim.Char16(rune(l.u)), nil
		case t == cim.TypeString:
			s := strconv.FormatUint(l.u, 10)
			if l.neg && l.u != 0 {
				s = "-" + s
			}
			return cim.String(s), nil
		}
	case litReal:
		switch {
		case t.IsReal():
			bits := 64
			if t == cim.TypeReal32 {
				bits = 32
			}
			f, err := strconv.ParseFloat(l.s, bits)
			if err != nil || math.IsInf(f, 0) {
				return cim.Null, errAt(l.tok, cim.WBEMMOF_E_OUT_OF_RANGE, "real does not fit in %s", t)
			}
			if t == cim.TypeReal32 {
				return cim.Real32(float32(f)), nil
			}
			return cim.Real64(f), nil
		case t == cim.TypeString:
			return cim.String(l.s), nil
		}
	case litString:
		switch t {
		case cim.TypeString:
			return cim.String(l.s), nil
		case cim.TypeChar16:
			r := []rune(l.s)
			if len(r) != 1 || r[0] > 0xFFFF {
				return cim.Null, errAt(l.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "a char16 value must be one character")
			}
			return cim.Char16(r[0]), nil
		case cim.TypeDatetime, cim.TypeReference:
			v, err := cim.String(l.s).Convert(t)
			if err != nil {
				return cim.Null, errAt(l.tok, cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "invalid %s: %s", t, cim.AsError(err).Description)
			}
			return v, nil
		}
	case litChar:
		switch t {
		case cim.TypeChar16:
			return cim.Char16([]rune(l.s)[0]), nil
		case cim.TypeString:
			return cim.String(l.s), nil
		}
	case litAlias:
		return cim.Null, errAt(l.tok, cim.WBEMMOF_E_UNEXPECTED_ALIAS, "an alias can only be the value of an instance's reference property")
	case litInstance:
		if t != cim.TypeObject {
			return mismatch()
		}
		inst, _, err := c.buildInstance(l.inst, depth+1)
		if err != nil {
			return cim.Null, err
		}
		if refClass != "" && !inst.Class().IsA(refClass) {
			return cim.Null, errAt(l.inst.class, cim.WBEMMOF_E_TYPE_MISMATCH, "an instance of %s is not a %s", inst.ClassName(), refClass)
		}
		return cim.Embedded(inst), nil
	}
	return mismatch()
}

// intValue makes an integer of type t from a sign and magnitude, reporting
// whether it fits.
func intValue(t cim.Type, neg bool, u uint64) (cim.Value, bool) {
	if t.IsSigned() {
		var bits uint
		switch t {
		case cim.TypeSint8:
			bits = 8
		case cim.TypeSint16:
			bits = 16
		case cim.TypeSint32:
			bits = 32
		default:
			bits = 64
		}
		limit := uint64(1) << (bits - 1)
		if neg && u > limit || !neg && u >= limit {
			return cim.Null, false
		}
		n := int64(u)
		if neg {
			n = -n
		}
		switch t {
		case cim.TypeSint8:
			return cim.Sint8(int8(n)), true
		case cim.TypeSint16:
			return cim.Sint16(int16(n)), true
		case cim.TypeSint32:
			return cim.Sint32(int32(n)), true
		}
		return cim.Sint64(n), true
	}
	if neg && u != 0 {
		return cim.Null, false
	}
	switch t {
	case cim.TypeUint8:
		return cim.Uint8(uint8(u)), u <= math.MaxUint8
	case cim.TypeUint16:
		return cim.Uint16(uint16(u)), u <= math.MaxUint16
	case cim.TypeUint32:
		return cim.Uint32(uint32(u)), u <= math.MaxUint32
	}
	return cim.Uint64(u), true
}
