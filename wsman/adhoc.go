package wsman

import (
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// A server that gives no class definitions (or none for some class) still
// sends instances the client must read. The client then makes up a class
// from the instance element itself (adhocClass):
//
//   - each child element is a property of that name; an element that repeats
//     is an array;
//   - its type is the one xsi:type names (DSP0230's cim:cimUnsignedInt …, or
//     XML Schema's xs:unsignedInt …) when there is one;
//   - otherwise a cim:Datetime, cim:Interval, cim:Date, cim:Time or
//     cim:CIM_DateTime child makes a datetime, an endpoint reference
//     (wsa:Address with wsa:ReferenceParameters) a reference, any other child
//     element an embedded instance;
//   - otherwise the text decides, so that nothing is lost in the reading:
//     true or false (any case) is a boolean; an integer written exactly as
//     strconv writes it (no sign +, no leading zero) is an sint64, or a uint64
//     when too large; a number with a point or an exponent that reads back
//     the same is a real64; an xs:dateTime or a DMTF datetime is a datetime;
//     anything else — and an array whose elements disagree — is a string;
//   - xsi:nil="true" is NULL, of its xsi:type or of type string.
//
// Such a class has no qualifiers, so no keys: its instances have no
// __PATH — unless the server sent each with its endpoint reference
// (EnumerateObjectAndEPR, which the client asks for when it has no
// definition of the class it enumerates): its selectors are the keys.
// A program that needs exact types needs a server that serves class
// definitions (URIClassDefinitionDSP0201).

// xsiTypeOf maps the local part of an xsi:type to a CIM type (a switch,
// not a map: nothing to build when a program starts).
func xsiTypeOf(local string) (cim.Type, bool) {
	switch local {
	case "cimBoolean", "boolean":
		return cim.TypeBoolean, true
	case "cimByte", "byte":
		return cim.TypeSint8, true
	case "cimUnsignedByte", "unsignedByte":
		return cim.TypeUint8, true
	case "cimShort", "short":
		return cim.TypeSint16, true
	case "cimUnsignedShort", "unsignedShort":
		return cim.TypeUint16, true
	case "cimInt", "int":
		return cim.TypeSint32, true
	case "cimUnsignedInt", "unsignedInt":
		return cim.TypeUint32, true
	case "cimLong", "long", "integer":
		return cim.TypeSint64, true
	case "cimUnsignedLong", "unsignedLong":
		return cim.TypeUint64, true
	case "cimFloat", "float":
		return cim.TypeReal32, true
	case "cimDouble", "double", "decimal":
		return cim.TypeReal64, true
	case "cimChar16":
		return cim.TypeChar16, true
	case "cimString", "string":
		return cim.TypeString, true
	case "cimDateTime", "dateTime", "duration", "date", "time":
		return cim.TypeDatetime, true
	case "cimReference", "EndpointReferenceType":
		return cim.TypeReference, true
	}
	return 0, false
}

// xsiType returns the CIM type an element's xsi:type names.
func xsiType(k *node) (cim.Type, bool) {
	v, ok := k.attr(nsXSI, "type")
	if !ok {
		return 0, false
	}
	for _, a := range k.Attrs {
		if a.Name.Local == "type" && a.Name.Space != nsXSI {
			return 0, false // a "type" attribute of another namespace
		}
	}
	_, local, found := strings.Cut(strings.TrimSpace(v), ":")
	if !found {
		local = strings.TrimSpace(v)
	}
	return xsiTypeOf(local)
}

// textType guesses a scalar's type from its text (see above).
func textType(s string) cim.Type {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return cim.TypeString
	case strings.EqualFold(s, "true"), strings.EqualFold(s, "false"):
		return cim.TypeBoolean
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return cim.TypeSint64
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(n, 10) == s {
		return cim.TypeUint64
	}
	if strings.ContainsAny(s, ".eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && strconv.FormatFloat(f, 'g', -1, 64) == strings.ToLower(s) {
			return cim.TypeReal64
		}
	}
	if len(s) >= 19 && s[4] == '-' && s[10] == 'T' {
		if _, err := parseXSDateTime("Datetime", s); err == nil {
			return cim.TypeDatetime
		}
	}
	if len(s) == 25 && (s[21] == '+' || s[21] == '-' || s[21] == ':') {
		if _, err := cim.ParseDatetime(s); err == nil {
			return cim.TypeDatetime
		}
	}
	return cim.TypeString
}

// elemType decides the type of one property element.
func elemType(k *node) cim.Type {
	if t, ok := xsiType(k); ok {
		return t
	}
	if k.isNil() {
		return cim.TypeEmpty // no evidence
	}
	if len(k.Kids) > 0 {
		c := k.Kids[0]
		switch {
		case c.Space == nsCIM && (c.Local == "Datetime" || c.Local == "Interval" || c.Local == "Date" || c.Local == "Time" || c.Local == "CIM_DateTime"):
			return cim.TypeDatetime
		case c.Space == nsWSA && (c.Local == "EndpointReference" || c.Local == "Address" || c.Local == "ReferenceParameters"):
			return cim.TypeReference
		}
		return cim.TypeObject
	}
	return textType(k.Text)
}

// adhocClass makes up the class of an instance element (see above). keys,
// from the instance's endpoint reference when the server sent one, are
// its key properties (one the element leaves out is added, of the key's
// type).
func adhocClass(n *node, keys []cim.KeyBinding) (*cim.Class, error) {
	decl := &cim.Class{Name: n.Local}
	index := map[string]int{}
	count := map[string]int{}
	for _, k := range n.Kids {
		t := elemType(k)
		key := strings.ToLower(k.Local)
		i, ok := index[key]
		count[key]++
		if !ok {
			index[key] = len(decl.Properties)
			decl.Properties = append(decl.Properties, cim.Property{Name: k.Local, Type: t})
			continue
		}
		p := &decl.Properties[i]
		switch {
		case t == cim.TypeEmpty || t == p.Type.Elem():
		case p.Type == cim.TypeEmpty:
			p.Type = t
		default:
			p.Type = cim.TypeString // elements that disagree
		}
	}
	for i := range decl.Properties {
		p := &decl.Properties[i]
		if p.Type == cim.TypeEmpty {
			p.Type = cim.TypeString
		}
		if count[strings.ToLower(p.Name)] > 1 {
			p.Type = p.Type.ArrayOf()
		}
	}
	for _, k := range keys {
		i, ok := index[strings.ToLower(k.Name)]
		if !ok {
			i = len(decl.Properties)
			decl.Properties = append(decl.Properties, cim.Property{Name: k.Name, Type: k.Value.Type()})
		}
		decl.Properties[i].Qualifiers = cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	}
	c, err := cim.Derive(nil, decl)
	if err != nil {
		e := cim.AsError(err)
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: n.Local,
			Description: "the instance " + n.Local + " from the server cannot be read without its class definition: " + e.Description}
	}
	return c, nil
}
