package wsman

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// Class definitions travel in gowbem's own element, gw:CLASS (namespace
// NamespaceGowbem), since DSP0226 has no class representation:
//
//	<gw:CLASS Name="GW_Child" Superclass="GW_Base" Derivation="GW_Base">
//	  <gw:Qualifier Name="Abstract" Type="boolean" Flavor="2"><gw:V>true</gw:V></gw:Qualifier>
//	  <gw:Property Name="Name" Type="string" Origin="GW_Base">
//	    <gw:Qualifier Name="Key" Type="boolean"><gw:V>true</gw:V></gw:Qualifier>
//	    <gw:Default Type="string"><gw:V>none</gw:V></gw:Default>
//	  </gw:Property>
//	  <gw:Method Name="Echo" ReturnType="uint32">
//	    <gw:Parameter Name="Text" Type="string">…qualifiers…</gw:Parameter>
//	  </gw:Method>
//	</gw:CLASS>
//
// A value is a Type attribute (MOF spelling, "uint16[]" for arrays) and one
// gw:V per element holding the value's text; Null="true" marks NULL.

func writeClassDef(w *bytes.Buffer, c *cim.Class) {
	w.WriteString(`<gw:CLASS Name="`)
	escapeAttr(w, c.Name)
	w.WriteByte('"')
	if c.Superclass != "" {
		w.WriteString(` Superclass="`)
		escapeAttr(w, c.Superclass)
		w.WriteByte('"')
	}
	if len(c.Derivation) > 0 {
		w.WriteString(` Derivation="`)
		escapeAttr(w, strings.Join(c.Derivation, " "))
		w.WriteByte('"')
	}
	w.WriteByte('>')
	writeQualifiers(w, c.Qualifiers)
	for i := range c.Properties {
		p := &c.Properties[i]
		w.WriteString(`<gw:Property Name="`)
		escapeAttr(w, p.Name)
		w.WriteString(`" Type="` + p.Type.String() + `"`)
		writeOptAttr(w, "RefClass", p.RefClass)
		writeOptAttr(w, "Origin", p.Origin)
		w.WriteByte('>')
		writeQualifiers(w, p.Qualifiers)
		if !p.Default.IsNull() {
			writeValueDef(w, "gw:Default", p.Default)
		}
		w.WriteString("</gw:Property>")
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		w.WriteString(`<gw:Method Name="`)
		escapeAttr(w, m.Name)
		w.WriteByte('"')
		if m.ReturnType != cim.TypeEmpty {
			w.WriteString(` ReturnType="` + m.ReturnType.String() + `"`)
		}
		writeOptAttr(w, "Origin", m.Origin)
		w.WriteByte('>')
		writeQualifiers(w, m.Qualifiers)
		for j := range m.Params {
			p := &m.Params[j]
			w.WriteString(`<gw:Parameter Name="`)
			escapeAttr(w, p.Name)
			w.WriteString(`" Type="` + p.Type.String() + `"`)
			writeOptAttr(w, "RefClass", p.RefClass)
			w.WriteByte('>')
			writeQualifiers(w, p.Qualifiers)
			w.WriteString("</gw:Parameter>")
		}
		w.WriteString("</gw:Method>")
	}
	w.WriteString("</gw:CLASS>")
}

func writeOptAttr(w *bytes.Buffer, name, v string) {
	if v != "" {
		w.WriteString(" " + name + `="`)
		escapeAttr(w, v)
		w.WriteByte('"')
	}
}

func writeQualifiers(w *bytes.Buffer, qs cim.Qualifiers) {
	for _, q := range qs {
		w.WriteString(`<gw:Qualifier Name="`)
		escapeAttr(w, q.Name)
		w.WriteString(`" Flavor="` + strconv.Itoa(int(q.Flavor)) + `"`)
		writeValueAttrs(w, q.Value)
		w.WriteByte('>')
		writeValueItems(w, q.Value)
		w.WriteString("</gw:Qualifier>")
	}
}

func writeValueDef(w *bytes.Buffer, tag string, v cim.Value) {
	w.WriteString("<" + tag)
	writeValueAttrs(w, v)
	w.WriteByte('>')
	writeValueItems(w, v)
	w.WriteString("</" + tag + ">")
}

func writeValueAttrs(w *bytes.Buffer, v cim.Value) {
	if v.IsNull() || v.Type() == cim.TypeObject {
		w.WriteString(` Null="true"`)
		return
	}
	w.WriteString(` Type="` + v.Type().String() + `"`)
}

func writeValueItems(w *bytes.Buffer, v cim.Value) {
	if v.IsNull() || v.Type() == cim.TypeObject {
		return
	}
	item := func(e cim.Value) {
		w.WriteString("<gw:V>")
		if e.Type().IsReal() {
			w.WriteString(strconv.FormatFloat(e.Float(), 'g', -1, 64))
		} else {
			escapeText(w, e.Text())
		}
		w.WriteString("</gw:V>")
	}
	if !v.Type().IsArray() {
		item(v)
		return
	}
	for _, e := range v.Elems() {
		item(e)
	}
}

func defError(n *node, format string, args ...any) *cim.Error {
	return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT,
		Description: fmt.Sprintf("class definition, line %d: ", n.Line) + fmt.Sprintf(format, args...)}
}

func readType(n *node, attr string) (cim.Type, error) {
	s, ok := n.attr("", attr)
	if !ok {
		return cim.TypeEmpty, nil
	}
	t, err := cim.ParseType(s)
	if err != nil {
		return t, defError(n, "unknown type %q", s)
	}
	return t, nil
}

// readClassDef reads a gw:CLASS element.
func readClassDef(n *node) (*cim.Class, error) {
	c := &cim.Class{}
	c.Name, _ = n.attr("", "Name")
	c.Superclass, _ = n.attr("", "Superclass")
	if d, ok := n.attr("", "Derivation"); ok {
		c.Derivation = strings.Fields(d)
	}
	for _, k := range n.Kids {
		if k.Space != NamespaceGowbem {
			continue
		}
		switch k.Local {
		case "Qualifier":
			q, err := readQualifier(k)
			if err != nil {
				return nil, err
			}
			c.Qualifiers = append(c.Qualifiers, q)
		case "Property":
			var p cim.Property
			var err error
			p.Name, _ = k.attr("", "Name")
			p.RefClass, _ = k.attr("", "RefClass")
			p.Origin, _ = k.attr("", "Origin")
			if p.Type, err = readType(k, "Type"); err != nil {
				return nil, err
			}
			if p.Name == "" || p.Type == cim.TypeEmpty {
				return nil, defError(k, "a property needs a Name and a Type")
			}
			for _, pk := range k.Kids {
				switch pk.Local {
				case "Qualifier":
					q, err := readQualifier(pk)
					if err != nil {
						return nil, err
					}
					p.Qualifiers = append(p.Qualifiers, q)
				case "Default":
					v, err := readValueDef(pk)
					if err != nil {
						return nil, err
					}
					if p.Default, err = v.Convert(p.Type); err != nil {
						return nil, defError(pk, "default of %s: %s", p.Name, cim.AsError(err).Description)
					}
				}
			}
			c.Properties = append(c.Properties, p)
		case "Method":
			var m cim.Method
			var err error
			m.Name, _ = k.attr("", "Name")
			m.Origin, _ = k.attr("", "Origin")
			if m.ReturnType, err = readType(k, "ReturnType"); err != nil {
				return nil, err
			}
			for _, mk := range k.Kids {
				switch mk.Local {
				case "Qualifier":
					q, err := readQualifier(mk)
					if err != nil {
						return nil, err
					}
					m.Qualifiers = append(m.Qualifiers, q)
				case "Parameter":
					var p cim.Parameter
					p.Name, _ = mk.attr("", "Name")
					p.RefClass, _ = mk.attr("", "RefClass")
					if p.Type, err = readType(mk, "Type"); err != nil {
						return nil, err
					}
					for _, q := range mk.Kids {
						if q.Local == "Qualifier" {
							qq, err := readQualifier(q)
							if err != nil {
								return nil, err
							}
							p.Qualifiers = append(p.Qualifiers, qq)
						}
					}
					m.Params = append(m.Params, p)
				}
			}
			c.Methods = append(c.Methods, m)
		}
	}
	return c, nil
}

func readQualifier(n *node) (cim.Qualifier, error) {
	var q cim.Qualifier
	q.Name, _ = n.attr("", "Name")
	if q.Name == "" {
		return q, defError(n, "a qualifier needs a Name")
	}
	if f, ok := n.attr("", "Flavor"); ok {
		x, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return q, defError(n, "qualifier %s: bad Flavor %q", q.Name, f)
		}
		q.Flavor = cim.Flavor(x)
	}
	v, err := readValueDef(n)
	if err != nil {
		return q, err
	}
	q.Value = v
	return q, nil
}

func readValueDef(n *node) (cim.Value, error) {
	if nul, _ := n.attr("", "Null"); nul == "true" {
		return cim.Null, nil
	}
	t, err := readType(n, "Type")
	if err != nil {
		return cim.Null, err
	}
	if t == cim.TypeEmpty {
		return cim.Null, nil
	}
	var vals []cim.Value
	for _, v := range n.Kids {
		if v.Local != "V" {
			continue
		}
		x, err := cim.String(v.Text).Convert(t.Elem())
		if err != nil {
			return cim.Null, defError(v, "%s", cim.AsError(err).Description)
		}
		vals = append(vals, x)
	}
	if t.IsArray() {
		a, err := cim.ArrayOf(t.Elem(), vals)
		if err != nil {
			return cim.Null, defError(n, "%s", cim.AsError(err).Description)
		}
		return a, nil
	}
	if len(vals) != 1 {
		return cim.Null, defError(n, "a %s value needs exactly one V, not %d", t, len(vals))
	}
	return vals[0], nil
}
