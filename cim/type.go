// Package cim is gowbem's data model: CIM types and values, qualifiers, classes,
// instances, system properties, object paths, datetimes and the WBEM status codes
// that every other package shares.
package cim

import (
	"fmt"
	"strings"
)

// Type is a CIM type, numbered as WMI's CIMTYPE_ENUMERATION. Array types have
// FlagArray set on their element type.
type Type uint16

// The CIM types with WMI's CIMTYPE numbers.
const (
	TypeEmpty     Type = 0
	TypeSint8     Type = 16
	TypeUint8     Type = 17
	TypeSint16    Type = 2
	TypeUint16    Type = 18
	TypeSint32    Type = 3
	TypeUint32    Type = 19
	TypeSint64    Type = 20
	TypeUint64    Type = 21
	TypeReal32    Type = 4
	TypeReal64    Type = 5
	TypeBoolean   Type = 11
	TypeString    Type = 8
	TypeDatetime  Type = 101
	TypeReference Type = 102
	TypeChar16    Type = 103
	TypeObject    Type = 13
	TypeIllegal   Type = 0xFFF

	// FlagArray marks an array of the element type (CIM_FLAG_ARRAY).
	FlagArray Type = 0x2000
)

// typeNames holds the MOF name of each type at its number ("" for the
// numbers that are none). An array, not a map: its contents are in the
// executable, where a map would be built at every program's start.
var typeNames = [...]string{
	TypeSint8: "sint8", TypeUint8: "uint8", TypeSint16: "sint16", TypeUint16: "uint16",
	TypeSint32: "sint32", TypeUint32: "uint32", TypeSint64: "sint64", TypeUint64: "uint64",
	TypeReal32: "real32", TypeReal64: "real64", TypeBoolean: "boolean", TypeString: "string",
	TypeDatetime: "datetime", TypeReference: "ref", TypeChar16: "char16", TypeObject: "object",
}

// typeName returns the MOF name of t, which is no array; ok is false when t
// is no CIM type.
func typeName(t Type) (name string, ok bool) {
	if int(t) >= len(typeNames) || typeNames[t] == "" {
		return "", false
	}
	return typeNames[t], true
}

// IsArray reports whether t is an array type.
func (t Type) IsArray() bool { return t&FlagArray != 0 }

// Elem returns the element type of an array type, or t itself.
func (t Type) Elem() Type { return t &^ FlagArray }

// ArrayOf returns the array type whose elements are of type t.
func (t Type) ArrayOf() Type { return t | FlagArray }

// IsInteger reports whether t (not an array) is one of the eight integer types.
func (t Type) IsInteger() bool { return t.IsSigned() || t.IsUnsigned() }

// IsSigned reports whether t is sint8, sint16, sint32 or sint64.
func (t Type) IsSigned() bool {
	switch t {
	case TypeSint8, TypeSint16, TypeSint32, TypeSint64:
		return true
	}
	return false
}

// IsUnsigned reports whether t is uint8, uint16, uint32 or uint64.
func (t Type) IsUnsigned() bool {
	switch t {
	case TypeUint8, TypeUint16, TypeUint32, TypeUint64:
		return true
	}
	return false
}

// IsReal reports whether t is real32 or real64.
func (t Type) IsReal() bool { return t == TypeReal32 || t == TypeReal64 }

// Valid reports whether t is a known CIM type or an array of one.
func (t Type) Valid() bool {
	_, ok := typeName(t.Elem())
	return ok
}

// String returns the MOF spelling of t ("uint32", "string[]"); unknown types print
// as their number.
func (t Type) String() string {
	if t == TypeEmpty {
		return "empty"
	}
	n, ok := typeName(t.Elem())
	if !ok {
		return fmt.Sprintf("cimtype(%d)", uint16(t))
	}
	if t.IsArray() {
		return n + "[]"
	}
	return n
}

// ParseType parses a MOF type name ("uint32", "String", "ref", "datetime[]").
func ParseType(s string) (Type, error) {
	arr := strings.HasSuffix(s, "[]")
	base := strings.ToLower(strings.TrimSuffix(s, "[]"))
	if base == "reference" {
		base = "ref"
	}
	for t, n := range typeNames {
		if n != "" && n == base {
			if arr {
				return Type(t).ArrayOf(), nil
			}
			return Type(t), nil
		}
	}
	return TypeIllegal, Errorf(WBEM_E_INVALID_CIM_TYPE, "unknown CIM type %q", s)
}
