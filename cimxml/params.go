package cimxml

import (
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// params are the IPARAMVALUEs of an intrinsic call, by lower-case name.
type params struct {
	method string
	m      map[string]*node
}

// readParams collects the IPARAMVALUEs after the LOCALNAMESPACEPATH of an
// IMETHODCALL, refusing duplicates and names the method does not take.
func readParams(call *node, method string, allowed ...string) (*params, error) {
	ps := &params{method: method, m: map[string]*node{}}
	ok := map[string]bool{strings.ToLower(FlagsParam): true}
	for _, a := range allowed {
		ok[strings.ToLower(a)] = true
	}
	for _, k := range call.Kids[1:] {
		if k.Name != "IPARAMVALUE" {
			return nil, badXML(k, "<IMETHODCALL> holds <%s>, not <IPARAMVALUE>", k.Name)
		}
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return nil, err
		}
		low := strings.ToLower(name)
		if !ok[low] {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Operation: method,
				Description: method + " takes no parameter " + name}
		}
		if ps.m[low] != nil {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Operation: method,
				Description: "parameter " + name + " is given twice"}
		}
		if len(k.Kids) > 1 {
			return nil, badXML(k, "parameter %s holds %d values", name, len(k.Kids))
		}
		ps.m[low] = k
	}
	return ps, nil
}

func (ps *params) bad(name, format string, args ...any) *cim.Error {
	e := badXML(ps.m[strings.ToLower(name)], "parameter "+name+": "+format, args...)
	e.Parameter, e.Operation = name, ps.method
	return e
}

// value returns the element a parameter holds; nil when it is absent or
// NULL.
func (ps *params) value(name string) *node {
	n := ps.m[strings.ToLower(name)]
	if n == nil || len(n.Kids) == 0 {
		return nil
	}
	return n.Kids[0]
}

func (ps *params) has(name string) bool { return ps.m[strings.ToLower(name)] != nil }

// boolean reads a boolean parameter; def when it is absent or NULL.
func (ps *params) boolean(name string, def bool) (bool, error) {
	v := ps.value(name)
	if v == nil {
		return def, nil
	}
	if v.Name != "VALUE" {
		return false, ps.bad(name, "expected a boolean <VALUE>, found <%s>", v.Name)
	}
	switch strings.ToUpper(strings.TrimSpace(v.Text)) {
	case "TRUE":
		return true, nil
	case "FALSE":
		return false, nil
	}
	return false, ps.bad(name, "%q is not TRUE or FALSE", v.Text)
}

// str reads a string parameter: its value and whether it was given.
func (ps *params) str(name string) (string, bool, error) {
	v := ps.value(name)
	if v == nil {
		return "", false, nil
	}
	if v.Name != "VALUE" {
		return "", false, ps.bad(name, "expected a <VALUE>, found <%s>", v.Name)
	}
	return v.Text, true, nil
}

// uint32p reads an unsigned parameter: nil when absent or NULL.
func (ps *params) uint32p(name string) (*uint32, error) {
	s, ok, err := ps.str(name)
	if err != nil || !ok {
		return nil, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return nil, ps.bad(name, "%q is not a uint32", s)
	}
	x := uint32(n)
	return &x, nil
}

// validName reports whether s is a CIM name (a class, property or role).
func validCIMName(s string) bool {
	if s == "" || len(s) > cim.MaxNameLength {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 0x80 || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// className reads a CLASSNAME parameter ("" when absent and not required).
func (ps *params) className(name string, required bool) (string, error) {
	v := ps.value(name)
	if v == nil {
		if required {
			return "", &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Operation: ps.method,
				Description: ps.method + " needs the parameter " + name}
		}
		return "", nil
	}
	if v.Name != "CLASSNAME" {
		return "", ps.bad(name, "expected <CLASSNAME>, found <%s>", v.Name)
	}
	c, _ := v.attr("NAME")
	c = strings.TrimSpace(c)
	if !validCIMName(c) {
		return "", ps.bad(name, "%q is not a class name", c)
	}
	return c, nil
}

// name reads a parameter that names a property, a role or a class as a
// string VALUE ("" when absent).
func (ps *params) name(name string) (string, error) {
	v := ps.value(name)
	if v == nil {
		return "", nil
	}
	var s string
	switch v.Name {
	case "VALUE":
		s = strings.TrimSpace(v.Text)
	case "CLASSNAME":
		s, _ = v.attr("NAME")
		s = strings.TrimSpace(s)
	default:
		return "", ps.bad(name, "expected a name, found <%s>", v.Name)
	}
	if s == "" {
		return "", nil
	}
	if !validCIMName(s) {
		return "", ps.bad(name, "%q is not a CIM name", s)
	}
	return s, nil
}

// instanceName reads an INSTANCENAME parameter, which is required.
func (ps *params) instanceName(d *decoder, name string) (cim.ObjectPath, error) {
	v := ps.value(name)
	if v == nil {
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Operation: ps.method,
			Description: ps.method + " needs the parameter " + name}
	}
	if v.Name != "INSTANCENAME" {
		return cim.ObjectPath{}, ps.bad(name, "expected <INSTANCENAME>, found <%s>", v.Name)
	}
	return d.instanceName(v)
}

// propertyList reads PropertyList: nil when absent or NULL (every
// property), otherwise the set of lower-case names (possibly empty).
func (ps *params) propertyList(name string) (map[string]bool, error) {
	v := ps.value(name)
	if v == nil {
		return nil, nil
	}
	if v.Name != "VALUE.ARRAY" {
		return nil, ps.bad(name, "expected a <VALUE.ARRAY> of names, found <%s>", v.Name)
	}
	out := make(map[string]bool, len(v.Kids))
	for _, k := range v.Kids {
		if k.Name != "VALUE" {
			return nil, ps.bad(name, "expected <VALUE>, found <%s>", k.Name)
		}
		out[strings.ToLower(strings.TrimSpace(k.Text))] = true
	}
	return out, nil
}
