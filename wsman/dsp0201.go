package wsman

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// The standard way to get a class definition over WS-Management (DSP0227's
// CIM binding, as OMI serves it) is a Get on URIClassDefinitionDSP0201 with
// the selectors ClassName and __cimnamespace, and the option
// IncludeQualifiers; the answer's body is a DSP0201 CLASS element (CIM-XML's
// representation of a class), in no XML namespace:
//
//	<CLASS NAME="Bench_Small" SUPERCLASS="…">
//	  <QUALIFIER NAME="Description" TYPE="string"><VALUE>…</VALUE></QUALIFIER>
//	  <PROPERTY NAME="Id" TYPE="uint32" CLASSORIGIN="Bench_Small">
//	    <QUALIFIER NAME="key" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>
//	  </PROPERTY>
//	  <PROPERTY.ARRAY NAME="Tags" TYPE="string"/>
//	  <PROPERTY.REFERENCE NAME="Owner" REFERENCECLASS="CIM_System"/>
//	  <METHOD NAME="Reset" TYPE="uint32"><PARAMETER NAME="Force" TYPE="boolean"/></METHOD>
//	</CLASS>
//
// gowbem's server serves that resource as well as its own gw:CLASS (which
// also carries the derivation and every qualifier flavor WMI has); gowbem's
// client uses its own with a gowbem server and the standard one with any
// other.

// URIClassDefinitionDSP0201 is the resource of class definitions in DSP0201's
// CIM-XML form (selectors ClassName and __cimnamespace).
const URIClassDefinitionDSP0201 = "http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*"

// optIncludeQualifiers is the option that asks for qualifiers in a DSP0201
// class definition.
const optIncludeQualifiers = "IncludeQualifiers"

// dsp0201Type is a CIM type's name in DSP0201's TYPE attribute: an embedded
// object is a string there (with the EmbeddedObject attribute).
func dsp0201Type(t cim.Type) string {
	switch t.Elem() {
	case cim.TypeObject:
		return "string"
	case cim.TypeReference:
		return "reference"
	}
	return t.Elem().String()
}

func writeAttrTo(w *bytes.Buffer, name, v string) {
	w.WriteString(" " + name + `="`)
	escapeAttr(w, v)
	w.WriteByte('"')
}

// writeDSP0201Class writes c as a DSP0201 CLASS element; qualifiers says
// whether to include the qualifiers of the class, its properties and
// methods (parameters always carry theirs: In and Out tell a caller how to
// call).
func writeDSP0201Class(w *bytes.Buffer, c *cim.Class, qualifiers bool) {
	w.WriteString("<CLASS")
	writeAttrTo(w, "NAME", c.Name)
	if c.Superclass != "" {
		writeAttrTo(w, "SUPERCLASS", c.Superclass)
	}
	w.WriteByte('>')
	if qualifiers {
		writeDSP0201Qualifiers(w, c.Qualifiers)
	}
	for i := range c.Properties {
		p := &c.Properties[i]
		tag := "PROPERTY"
		switch {
		case p.Type == cim.TypeReference:
			tag = "PROPERTY.REFERENCE"
		case p.Type.IsArray():
			tag = "PROPERTY.ARRAY"
		}
		w.WriteString("<" + tag)
		writeAttrTo(w, "NAME", p.Name)
		if p.Type == cim.TypeReference {
			if p.RefClass != "" {
				writeAttrTo(w, "REFERENCECLASS", p.RefClass)
			}
		} else {
			w.WriteString(` TYPE="` + dsp0201Type(p.Type) + `"`)
			writeEmbedded(w, p.Type, p.RefClass)
		}
		writeOrigin(w, p.Origin, c.Name)
		w.WriteByte('>')
		if qualifiers {
			writeDSP0201Qualifiers(w, embeddedQualifier(p.Qualifiers, p.Type, p.RefClass))
		}
		if !p.Default.IsNull() && p.Type.Elem() != cim.TypeObject && p.Type != cim.TypeReference {
			writeDSP0201Value(w, p.Default)
		}
		w.WriteString("</" + tag + ">")
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		w.WriteString("<METHOD")
		writeAttrTo(w, "NAME", m.Name)
		if m.ReturnType != cim.TypeEmpty {
			w.WriteString(` TYPE="` + dsp0201Type(m.ReturnType) + `"`)
		}
		writeOrigin(w, m.Origin, c.Name)
		w.WriteByte('>')
		if qualifiers {
			writeDSP0201Qualifiers(w, m.Qualifiers)
		}
		for j := range m.Params {
			p := &m.Params[j]
			tag := "PARAMETER"
			switch {
			case p.Type == cim.TypeReference:
				tag = "PARAMETER.REFERENCE"
			case p.Type == cim.TypeReference.ArrayOf():
				tag = "PARAMETER.REFARRAY"
			case p.Type.IsArray():
				tag = "PARAMETER.ARRAY"
			}
			w.WriteString("<" + tag)
			writeAttrTo(w, "NAME", p.Name)
			if p.Type.Elem() == cim.TypeReference {
				if p.RefClass != "" {
					writeAttrTo(w, "REFERENCECLASS", p.RefClass)
				}
			} else {
				w.WriteString(` TYPE="` + dsp0201Type(p.Type) + `"`)
				writeEmbedded(w, p.Type, p.RefClass)
			}
			w.WriteByte('>')
			writeDSP0201Qualifiers(w, embeddedQualifier(p.Qualifiers, p.Type, p.RefClass))
			w.WriteString("</" + tag + ">")
		}
		w.WriteString("</METHOD>")
	}
	w.WriteString("</CLASS>")
}

// writeEmbedded marks an embedded object's property or parameter with
// DSP0201's EmbeddedObject attribute.
func writeEmbedded(w *bytes.Buffer, t cim.Type, refClass string) {
	if t.Elem() != cim.TypeObject {
		return
	}
	if refClass != "" {
		w.WriteString(` EmbeddedObject="instance"`)
	} else {
		w.WriteString(` EmbeddedObject="object"`)
	}
}

// embeddedQualifier adds the EmbeddedInstance qualifier that carries an
// embedded instance's class (DSP0201 has no attribute for it).
func embeddedQualifier(qs cim.Qualifiers, t cim.Type, refClass string) cim.Qualifiers {
	if t.Elem() != cim.TypeObject || refClass == "" {
		return qs
	}
	if _, ok := qs.Get("EmbeddedInstance"); ok {
		return qs
	}
	return qs.With(cim.Qualifier{Name: "EmbeddedInstance", Value: cim.String(refClass), Flavor: cim.DefaultFlavor})
}

func writeOrigin(w *bytes.Buffer, origin, class string) {
	if origin == "" {
		return
	}
	writeAttrTo(w, "CLASSORIGIN", origin)
	if !strings.EqualFold(origin, class) {
		w.WriteString(` PROPAGATED="true"`)
	}
}

func writeDSP0201Qualifiers(w *bytes.Buffer, qs cim.Qualifiers) {
	for _, q := range qs {
		if q.Flavor&cim.FlavorAmended != 0 {
			continue
		}
		t := q.Value.Type()
		if q.Value.IsNull() || t == cim.TypeObject || t.Elem() == cim.TypeReference {
			// Written without a VALUE, which a reader takes for NULL: a
			// boolean without one reads as true (<QUALIFIER NAME="Key"
			// TYPE="boolean"/>), so not as a boolean.
			t = cim.TypeString
		}
		w.WriteString("<QUALIFIER")
		writeAttrTo(w, "NAME", q.Name)
		w.WriteString(` TYPE="` + t.Elem().String() + `"`)
		f := q.Flavor
		if f&cim.FlavorNotOverridable != 0 {
			w.WriteString(` OVERRIDABLE="false"`)
		}
		if f&cim.FlavorToSubclass == 0 {
			w.WriteString(` TOSUBCLASS="false"`)
		}
		if f&cim.FlavorToInstance != 0 {
			w.WriteString(` TOINSTANCE="true"`)
		}
		if f&cim.FlavorTranslatable != 0 {
			w.WriteString(` TRANSLATABLE="true"`)
		}
		if f&cim.FlavorPropagated != 0 {
			w.WriteString(` PROPAGATED="true"`)
		}
		w.WriteByte('>')
		if !q.Value.IsNull() && q.Value.Type() != cim.TypeObject && q.Value.Type().Elem() != cim.TypeReference {
			writeDSP0201Value(w, q.Value)
		}
		w.WriteString("</QUALIFIER>")
	}
}

// writeDSP0201Value writes VALUE, or VALUE.ARRAY for an array.
func writeDSP0201Value(w *bytes.Buffer, v cim.Value) {
	one := func(e cim.Value) {
		w.WriteString("<VALUE>")
		switch {
		case e.Type() == cim.TypeBoolean:
			if e.Bool() {
				w.WriteString("TRUE")
			} else {
				w.WriteString("FALSE")
			}
		case e.Type().IsReal():
			w.WriteString(formatReal(e.Float(), e.Type()))
		default:
			escapeText(w, e.Text())
		}
		w.WriteString("</VALUE>")
	}
	if !v.Type().IsArray() {
		one(v)
		return
	}
	w.WriteString("<VALUE.ARRAY>")
	for _, e := range v.Array() {
		one(e)
	}
	w.WriteString("</VALUE.ARRAY>")
}

// dsp0201Error is a CLASS element that is not what DSP0201 says.
func dsp0201Error(n *node, format string, args ...any) *cim.Error {
	return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT,
		Description: fmt.Sprintf("DSP0201 class definition, line %d: ", n.Line) + fmt.Sprintf(format, args...)}
}

func dsp0201Name(n *node) (string, error) {
	name, _ := n.attr("", "NAME")
	name = strings.TrimSpace(name)
	if name == "" || len(name) > cim.MaxNameLength {
		return "", dsp0201Error(n, "<%s> needs a NAME of 1 to %d characters", n.Local, cim.MaxNameLength)
	}
	return name, nil
}

// dsp0201ParseType reads a TYPE attribute ("uint32", "reference", …).
func dsp0201ParseType(n *node) (cim.Type, error) {
	s, _ := n.attr("", "TYPE")
	t, err := cim.ParseType(strings.TrimSpace(s))
	if err != nil || t.IsArray() || t == cim.TypeObject {
		return cim.TypeIllegal, dsp0201Error(n, "<%s> has the bad TYPE %q", n.Local, s)
	}
	return t, nil
}

// readDSP0201Class reads a CLASS element into a class as complete as
// DSP0201 tells it: every property and method with its origin (CLASSORIGIN,
// or the class itself), the qualifiers that came. The derivation beyond the
// superclass is the caller's to fill.
func readDSP0201Class(n *node) (*cim.Class, error) {
	if n.Local != "CLASS" {
		return nil, dsp0201Error(n, "expected <CLASS>, found <%s>", n.Local)
	}
	name, err := dsp0201Name(n)
	if err != nil {
		return nil, err
	}
	c := &cim.Class{Name: name}
	if s, ok := n.attr("", "SUPERCLASS"); ok {
		c.Superclass = strings.TrimSpace(s)
		c.Derivation = []string{c.Superclass}
	}
	seen := map[string]bool{}
	for _, k := range n.Kids {
		switch k.Local {
		case "QUALIFIER":
			q, err := readDSP0201Qualifier(k)
			if err != nil {
				return nil, err
			}
			c.Qualifiers = append(c.Qualifiers, q)
		case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
			p, err := readDSP0201Property(k, name)
			if err != nil {
				return nil, err
			}
			// (Not c.PropertyIndex: it would index the class half built.)
			if seen[strings.ToLower(p.Name)] {
				return nil, dsp0201Error(k, "property %s is declared twice", p.Name)
			}
			seen[strings.ToLower(p.Name)] = true
			c.Properties = append(c.Properties, p)
		case "METHOD":
			m, err := readDSP0201Method(k, name)
			if err != nil {
				return nil, err
			}
			c.Methods = append(c.Methods, m)
		default:
			return nil, dsp0201Error(k, "<CLASS> holds <%s>", k.Local)
		}
	}
	return c, nil
}

// embeddedType turns a string property or parameter that DSP0201 marks as
// holding an embedded object (the EmbeddedObject attribute, with the class
// in an EmbeddedInstance qualifier) into an object one. A string with only
// the qualifier stays a string, as MOF declared it.
func embeddedType(n *node, t cim.Type, qs cim.Qualifiers) (cim.Type, string) {
	if t.Elem() != cim.TypeString {
		return t, ""
	}
	if a, ok := n.attr("", "EmbeddedObject"); !ok || strings.TrimSpace(a) == "" {
		return t, ""
	}
	obj := cim.TypeObject
	if t.IsArray() {
		obj = obj.ArrayOf()
	}
	if q, ok := qs.Get("EmbeddedInstance"); ok && q.Value.Type() == cim.TypeString {
		return obj, q.Value.Str()
	}
	return obj, ""
}

func readDSP0201Property(k *node, class string) (cim.Property, error) {
	var p cim.Property
	var err error
	if p.Name, err = dsp0201Name(k); err != nil {
		return p, err
	}
	if k.Local == "PROPERTY.REFERENCE" {
		p.Type = cim.TypeReference
		p.RefClass, _ = k.attr("", "REFERENCECLASS")
	} else {
		if p.Type, err = dsp0201ParseType(k); err != nil {
			return p, err
		}
		if p.Type == cim.TypeReference {
			return p, dsp0201Error(k, "a reference property is a PROPERTY.REFERENCE")
		}
		if k.Local == "PROPERTY.ARRAY" {
			p.Type = p.Type.ArrayOf()
		}
	}
	p.Origin, _ = k.attr("", "CLASSORIGIN")
	if p.Origin == "" {
		p.Origin = class
	}
	var def *node
	for _, q := range k.Kids {
		switch q.Local {
		case "QUALIFIER":
			qq, err := readDSP0201Qualifier(q)
			if err != nil {
				return p, err
			}
			p.Qualifiers = append(p.Qualifiers, qq)
		case "VALUE", "VALUE.ARRAY":
			def = q
		}
	}
	p.Type, p.RefClass = embeddedTypeRef(k, p.Type, p.RefClass, p.Qualifiers)
	if def != nil && p.Type.Elem() != cim.TypeObject {
		if p.Default, err = readDSP0201Value(def, p.Type); err != nil {
			return p, err
		}
	}
	return p, nil
}

func embeddedTypeRef(n *node, t cim.Type, ref string, qs cim.Qualifiers) (cim.Type, string) {
	nt, r := embeddedType(n, t, qs)
	if nt != t {
		return nt, r
	}
	return t, ref
}

func readDSP0201Method(k *node, class string) (cim.Method, error) {
	var m cim.Method
	var err error
	if m.Name, err = dsp0201Name(k); err != nil {
		return m, err
	}
	if _, ok := k.attr("", "TYPE"); ok {
		if m.ReturnType, err = dsp0201ParseType(k); err != nil {
			return m, err
		}
	}
	m.Origin, _ = k.attr("", "CLASSORIGIN")
	if m.Origin == "" {
		m.Origin = class
	}
	for _, pk := range k.Kids {
		switch pk.Local {
		case "QUALIFIER":
			q, err := readDSP0201Qualifier(pk)
			if err != nil {
				return m, err
			}
			m.Qualifiers = append(m.Qualifiers, q)
		case "PARAMETER", "PARAMETER.ARRAY", "PARAMETER.REFERENCE", "PARAMETER.REFARRAY":
			var p cim.Parameter
			if p.Name, err = dsp0201Name(pk); err != nil {
				return m, err
			}
			switch pk.Local {
			case "PARAMETER.REFERENCE", "PARAMETER.REFARRAY":
				p.Type = cim.TypeReference
				if pk.Local == "PARAMETER.REFARRAY" {
					p.Type = p.Type.ArrayOf()
				}
				p.RefClass, _ = pk.attr("", "REFERENCECLASS")
			default:
				if p.Type, err = dsp0201ParseType(pk); err != nil {
					return m, err
				}
				if pk.Local == "PARAMETER.ARRAY" {
					p.Type = p.Type.ArrayOf()
				}
			}
			for _, q := range pk.Kids {
				if q.Local == "QUALIFIER" {
					qq, err := readDSP0201Qualifier(q)
					if err != nil {
						return m, err
					}
					p.Qualifiers = append(p.Qualifiers, qq)
				}
			}
			p.Type, p.RefClass = embeddedTypeRef(pk, p.Type, p.RefClass, p.Qualifiers)
			m.Params = append(m.Params, p)
		default:
			return m, dsp0201Error(pk, "<METHOD> holds <%s>", pk.Local)
		}
	}
	return m, nil
}

func readDSP0201Qualifier(n *node) (cim.Qualifier, error) {
	var q cim.Qualifier
	var err error
	if q.Name, err = dsp0201Name(n); err != nil {
		return q, err
	}
	t, err := dsp0201ParseType(n)
	if err != nil {
		return q, err
	}
	if t == cim.TypeReference {
		return q, dsp0201Error(n, "qualifier %s: a qualifier is not a reference", q.Name)
	}
	f := cim.FlavorToSubclass
	flag := func(attr string) (bool, bool) {
		v, ok := n.attr("", attr)
		return strings.EqualFold(strings.TrimSpace(v), "true"), ok
	}
	if v, ok := flag("OVERRIDABLE"); ok && !v {
		f |= cim.FlavorNotOverridable
	}
	if v, ok := flag("TOSUBCLASS"); ok && !v {
		f &^= cim.FlavorToSubclass
	}
	if v, _ := flag("TOINSTANCE"); v {
		f |= cim.FlavorToInstance
	}
	if v, _ := flag("TRANSLATABLE"); v {
		f |= cim.FlavorTranslatable
	}
	if v, _ := flag("PROPAGATED"); v {
		f |= cim.FlavorPropagated
	}
	if f&^cim.FlavorPropagated == 0 {
		f |= cim.FlavorToInstance // restricted: a flavor of 0 means "not set"
	}
	q.Flavor = f
	if a, _ := flag("ISARRAY"); a {
		t = t.ArrayOf()
	}
	for _, k := range n.Kids {
		switch k.Local {
		case "VALUE.ARRAY":
			t = t.ArrayOf()
			fallthrough
		case "VALUE":
			if q.Value, err = readDSP0201Value(k, t); err != nil {
				return q, err
			}
		}
	}
	if q.Value.IsNull() && t == cim.TypeBoolean {
		q.Value = cim.Bool(true) // <QUALIFIER NAME="Key" TYPE="boolean"/>: present is true
	}
	return q, nil
}

// readDSP0201Value reads VALUE (or VALUE.ARRAY) as a value of type t.
func readDSP0201Value(n *node, t cim.Type) (cim.Value, error) {
	conv := func(k *node, et cim.Type) (cim.Value, error) {
		s := k.Text
		if et != cim.TypeString && et != cim.TypeChar16 {
			s = strings.TrimSpace(s)
		}
		if et == cim.TypeBoolean {
			s = strings.ToLower(s)
		}
		v, err := cim.String(s).Convert(et)
		if err != nil {
			return cim.Null, dsp0201Error(k, "%s", cim.AsError(err).Description)
		}
		return v, nil
	}
	if n.Local == "VALUE.NULL" {
		return cim.Null, nil
	}
	if !t.IsArray() {
		if n.Local != "VALUE" {
			return cim.Null, dsp0201Error(n, "a %s value is a <VALUE>, not <%s>", t, n.Local)
		}
		return conv(n, t)
	}
	if n.Local != "VALUE.ARRAY" {
		return cim.Null, dsp0201Error(n, "a %s value is a <VALUE.ARRAY>, not <%s>", t, n.Local)
	}
	vals := make([]cim.Value, 0, len(n.Kids))
	for _, k := range n.Kids {
		if k.Local != "VALUE" {
			return cim.Null, dsp0201Error(k, "<VALUE.ARRAY> holds <%s>", k.Local)
		}
		v, err := conv(k, t.Elem())
		if err != nil {
			return cim.Null, err
		}
		vals = append(vals, v)
	}
	a, err := cim.ArrayOf(t.Elem(), vals)
	if err != nil {
		return cim.Null, dsp0201Error(n, "%s", cim.AsError(err).Description)
	}
	return a, nil
}
