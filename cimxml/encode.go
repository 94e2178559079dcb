package cimxml

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// escapeText writes s as XML character data.
func escapeText(w *bytes.Buffer, s string) { escape(w, s, false) }

// escapeAttr writes s as the content of a double-quoted attribute value.
func escapeAttr(w *bytes.Buffer, s string) { escape(w, s, true) }

// special marks the bytes escape must look at: the common string has none
// and is written at once.
var special = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 || c >= 0x80 || c == '<' || c == '>' || c == '&' || c == '"'
	}
	return t
}()

func escape(w *bytes.Buffer, s string, attr bool) {
	i := 0
	for i < len(s) && !special[s[i]] {
		i++
	}
	if i == len(s) {
		w.WriteString(s)
		return
	}
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch c := s[i]; c {
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '&':
			rep = "&amp;"
		case '"':
			if !attr {
				continue
			}
			rep = "&quot;"
		case '\r':
			rep = "&#13;"
		case '\n', '\t':
			if !attr {
				continue
			}
			rep = "&#" + strconv.Itoa(int(c)) + ";"
		default:
			if c < 0x20 {
				rep = "\uFFFD" // not representable in XML 1.0
			} else if c >= 0x80 {
				r, n := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && n == 1 || !isXMLChar(r) {
					w.WriteString(s[last:i])
					w.WriteString("\uFFFD")
					i += n - 1
					last = i + 1
				} else {
					i += n - 1
				}
				continue
			} else {
				continue
			}
		}
		w.WriteString(s[last:i])
		w.WriteString(rep)
		last = i + 1
	}
	w.WriteString(s[last:])
}

func writeAttr(w *bytes.Buffer, name, v string) {
	w.WriteByte(' ')
	w.WriteString(name)
	w.WriteString(`="`)
	escapeAttr(w, v)
	w.WriteByte('"')
}

// typeName is DSP0201's spelling of an element type: MOF's, with
// "reference" for references.
func typeName(t cim.Type) string {
	switch t.Elem() {
	case cim.TypeReference:
		return "reference"
	case cim.TypeObject, cim.TypeString:
		return "string" // embedded objects travel as strings
	case cim.TypeBoolean:
		return "boolean"
	case cim.TypeUint8:
		return "uint8"
	case cim.TypeSint8:
		return "sint8"
	case cim.TypeUint16:
		return "uint16"
	case cim.TypeSint16:
		return "sint16"
	case cim.TypeUint32:
		return "uint32"
	case cim.TypeSint32:
		return "sint32"
	case cim.TypeUint64:
		return "uint64"
	case cim.TypeSint64:
		return "sint64"
	case cim.TypeReal32:
		return "real32"
	case cim.TypeReal64:
		return "real64"
	case cim.TypeDatetime:
		return "datetime"
	case cim.TypeChar16:
		return "char16"
	}
	return t.Elem().String()
}

// valueText writes the text of a scalar value as DSP0201 spells it.
func valueText(w *bytes.Buffer, v cim.Value) {
	var buf [32]byte
	t := v.Type()
	switch {
	case t == cim.TypeBoolean:
		if v.Bool() {
			w.WriteString("TRUE")
		} else {
			w.WriteString("FALSE")
		}
	case t.IsSigned():
		w.Write(strconv.AppendInt(buf[:0], v.Int(), 10))
	case t.IsUnsigned():
		w.Write(strconv.AppendUint(buf[:0], v.Uint(), 10))
	case t.IsReal():
		f := v.Float()
		switch {
		case math.IsNaN(f):
			w.WriteString("NaN")
		case math.IsInf(f, 1):
			w.WriteString("INF")
		case math.IsInf(f, -1):
			w.WriteString("-INF")
		case t == cim.TypeReal32:
			w.Write(strconv.AppendFloat(buf[:0], f, 'g', -1, 32))
		default:
			w.Write(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
		}
	case t == cim.TypeChar16:
		escapeText(w, string(v.Char()))
	default:
		escapeText(w, v.Str())
	}
}

// encoder writes objects of one namespace on one server.
type encoder struct {
	host string // the HOST of absolute paths
	ns   string // the namespace, `root\cimv2`
	// embedding counts how deeply embedded objects nest while writing.
	embedding int

	// What every instance of a class repeats, written once: the tags of
	// its properties (by class, with CLASSORIGIN or without), and the
	// NAMESPACEPATH of each host and namespace.
	tags    map[classTagsKey]*classTags
	nsPaths map[string]string
}

type classTagsKey struct {
	c      *cim.Class
	origin bool
}

// classTags are the INSTANCE start tag and each property's start and end
// tags of one class.
type classTags struct {
	start string
	props []struct{ open, close string }
}

func (e *encoder) classTags(c *cim.Class, origin bool) *classTags {
	key := classTagsKey{c, origin}
	if t := e.tags[key]; t != nil {
		return t
	}
	if e.tags == nil || len(e.tags) > 64 {
		e.tags = map[classTagsKey]*classTags{}
	}
	var b bytes.Buffer
	b.WriteString(`<INSTANCE CLASSNAME="`)
	escapeAttr(&b, c.Name)
	b.WriteString(`">`)
	t := &classTags{start: b.String(), props: make([]struct{ open, close string }, len(c.Properties))}
	for i := range c.Properties {
		b.Reset()
		tag := propertyOpen(&b, &c.Properties[i], origin, false)
		t.props[i].open = b.String()
		t.props[i].close = "</" + tag + ">"
	}
	e.tags[key] = t
	return t
}

func (e *encoder) localNamespace(w *bytes.Buffer, ns string) {
	w.WriteString("<LOCALNAMESPACEPATH>")
	for _, part := range strings.FieldsFunc(ns, func(r rune) bool { return r == '\\' || r == '/' }) {
		w.WriteString(`<NAMESPACE NAME="`)
		escapeAttr(w, part)
		w.WriteString(`"/>`)
	}
	w.WriteString("</LOCALNAMESPACEPATH>")
}

func (e *encoder) namespacePath(w *bytes.Buffer, host, ns string) {
	if host == "" || host == "." {
		host = e.host
	}
	key := host + "\x00" + ns
	if s, ok := e.nsPaths[key]; ok {
		w.WriteString(s)
		return
	}
	var b bytes.Buffer
	b.WriteString("<NAMESPACEPATH><HOST>")
	escapeText(&b, host)
	b.WriteString("</HOST>")
	e.localNamespace(&b, ns)
	b.WriteString("</NAMESPACEPATH>")
	if e.nsPaths == nil || len(e.nsPaths) > 64 {
		e.nsPaths = map[string]string{}
	}
	e.nsPaths[key] = b.String()
	w.Write(b.Bytes())
}

// instanceName writes INSTANCENAME for p's class and keys.
func (e *encoder) instanceName(w *bytes.Buffer, p cim.ObjectPath) {
	w.WriteString(`<INSTANCENAME CLASSNAME="`)
	escapeAttr(w, p.Class)
	w.WriteString(`">`)
	for _, k := range p.Keys {
		w.WriteString(`<KEYBINDING NAME="`)
		escapeAttr(w, k.Name)
		w.WriteString(`">`)
		v := k.Value
		switch t := v.Type(); {
		case t == cim.TypeReference:
			e.reference(w, v.Str())
		case t == cim.TypeBoolean:
			w.WriteString(`<KEYVALUE VALUETYPE="boolean">`)
			valueText(w, v)
			w.WriteString("</KEYVALUE>")
		case t.IsInteger() || t.IsReal():
			w.WriteString(`<KEYVALUE VALUETYPE="numeric">`)
			valueText(w, v)
			w.WriteString("</KEYVALUE>")
		default:
			w.WriteString(`<KEYVALUE VALUETYPE="string">`)
			valueText(w, v)
			w.WriteString("</KEYVALUE>")
		}
		w.WriteString("</KEYBINDING>")
	}
	w.WriteString("</INSTANCENAME>")
}

// instancePath writes INSTANCEPATH: absolute, in p's namespace (e.ns when
// it has none).
func (e *encoder) instancePath(w *bytes.Buffer, p cim.ObjectPath) {
	ns := p.Namespace
	if ns == "" {
		ns = e.ns
	}
	w.WriteString("<INSTANCEPATH>")
	e.namespacePath(w, p.Server, ns)
	e.instanceName(w, p)
	w.WriteString("</INSTANCEPATH>")
}

func (e *encoder) classPath(w *bytes.Buffer, p cim.ObjectPath) {
	ns := p.Namespace
	if ns == "" {
		ns = e.ns
	}
	w.WriteString("<CLASSPATH>")
	e.namespacePath(w, p.Server, ns)
	w.WriteString(`<CLASSNAME NAME="`)
	escapeAttr(w, p.Class)
	w.WriteString(`"/></CLASSPATH>`)
}

// reference writes VALUE.REFERENCE for a reference value: a path with a
// namespace becomes INSTANCEPATH (or CLASSPATH), a relative one
// INSTANCENAME (or CLASSNAME). A path that does not parse is written as
// the instance name of no class rather than lost.
func (e *encoder) reference(w *bytes.Buffer, path string) {
	w.WriteString("<VALUE.REFERENCE>")
	p, err := cim.ParsePath(path)
	switch {
	case err != nil:
		w.WriteString(`<INSTANCENAME CLASSNAME=""/>`)
	case p.IsClass() && p.Namespace != "":
		e.classPath(w, p)
	case p.IsClass():
		w.WriteString(`<CLASSNAME NAME="`)
		escapeAttr(w, p.Class)
		w.WriteString(`"/>`)
	case p.Namespace != "":
		e.instancePath(w, p)
	default:
		e.instanceName(w, p)
	}
	w.WriteString("</VALUE.REFERENCE>")
}

// value writes VALUE, VALUE.ARRAY or VALUE.REFERENCE for a non-NULL value.
func (e *encoder) value(w *bytes.Buffer, v cim.Value) {
	t := v.Type()
	switch {
	case t == cim.TypeReference:
		e.reference(w, v.Str())
	case t == cim.TypeReference|cim.FlagArray:
		w.WriteString("<VALUE.REFARRAY>")
		for _, x := range v.Array() {
			if x.IsNull() {
				w.WriteString("<VALUE.NULL/>")
				continue
			}
			e.reference(w, x.Str())
		}
		w.WriteString("</VALUE.REFARRAY>")
	case t.IsArray():
		w.WriteString("<VALUE.ARRAY>")
		for _, x := range v.Array() {
			if x.IsNull() {
				w.WriteString("<VALUE.NULL/>")
				continue
			}
			e.scalar(w, x)
		}
		w.WriteString("</VALUE.ARRAY>")
	default:
		e.scalar(w, v)
	}
}

func (e *encoder) scalar(w *bytes.Buffer, v cim.Value) {
	w.WriteString("<VALUE>")
	if v.Type() == cim.TypeObject {
		e.embedded(w, v.Object())
	} else {
		valueText(w, v)
	}
	w.WriteString("</VALUE>")
}

// embedded writes an embedded object as the escaped text of its INSTANCE
// or CLASS element (DSP0201's EmbeddedObject).
func (e *encoder) embedded(w *bytes.Buffer, obj cim.Object) {
	if obj == nil || e.embedding >= MaxEmbedding {
		return
	}
	e.embedding++
	defer func() { e.embedding-- }()
	var inner bytes.Buffer
	switch o := obj.(type) {
	case *cim.Instance:
		e.instance(&inner, o, instOpts{})
	case *cim.Class:
		e.class(&inner, o, classOpts{qualifiers: true})
	}
	escapeText(w, inner.String())
}

// embeddedKind is the EmbeddedObject attribute of a property or parameter
// of type object: "instance" when its class is known, "object" otherwise.
func embeddedKind(refClass string) string {
	if refClass != "" {
		return "instance"
	}
	return "object"
}

// instOpts choose what an INSTANCE element holds.
type instOpts struct {
	keep       func(p *cim.Property) bool // nil: every property
	origin     bool                       // CLASSORIGIN attributes
	qualifiers bool                       // the properties' qualifiers
}

// instance writes INSTANCE with the properties opts keep, in class order.
func (e *encoder) instance(w *bytes.Buffer, inst *cim.Instance, opts instOpts) {
	c := inst.Class()
	tags := e.classTags(c, opts.origin)
	w.WriteString(tags.start)
	for i := range c.Properties {
		p := &c.Properties[i]
		if opts.keep != nil && !opts.keep(p) {
			continue
		}
		w.WriteString(tags.props[i].open)
		if opts.qualifiers {
			e.qualifiers(w, p.Qualifiers)
		}
		if v := inst.At(i); !v.IsNull() {
			if v.Type() != p.Type {
				if cv, err := v.Convert(p.Type); err == nil {
					v = cv
				}
			}
			e.value(w, v)
		}
		w.WriteString(tags.props[i].close)
	}
	w.WriteString("</INSTANCE>")
}

// propertyOpen writes the start tag of a PROPERTY, PROPERTY.ARRAY or
// PROPERTY.REFERENCE element of p (an instance's value, or a class's
// declaration, inherited when propagated), and returns the tag's name.
func propertyOpen(w *bytes.Buffer, p *cim.Property, origin, propagated bool) string {
	t := p.Type
	var tag string
	switch {
	case t == cim.TypeReference:
		tag = "PROPERTY.REFERENCE"
	case t.IsArray():
		tag = "PROPERTY.ARRAY"
	default:
		tag = "PROPERTY"
	}
	w.WriteByte('<')
	w.WriteString(tag)
	writeAttr(w, "NAME", p.Name)
	if t == cim.TypeReference {
		if p.RefClass != "" {
			writeAttr(w, "REFERENCECLASS", p.RefClass)
		}
	} else {
		w.WriteString(` TYPE="` + typeName(t) + `"`)
	}
	if t.Elem() == cim.TypeObject {
		w.WriteString(` EmbeddedObject="` + embeddedKind(p.RefClass) + `"`)
	}
	if origin && p.Origin != "" {
		writeAttr(w, "CLASSORIGIN", p.Origin)
	}
	if propagated {
		w.WriteString(` PROPAGATED="true"`)
	}
	w.WriteByte('>')
	return tag
}

// qualifiers writes QUALIFIER elements with their flavors (DSP0201's
// defaults — overridable, to subclasses, not to instances, not
// translatable — are left out).
func (e *encoder) qualifiers(w *bytes.Buffer, qs cim.Qualifiers) {
	for _, q := range qs {
		if q.Flavor&cim.FlavorAmended != 0 {
			continue
		}
		v := q.Value
		t := v.Type()
		if v.IsNull() {
			t = cim.TypeBoolean
		}
		if t.Elem() == cim.TypeReference || t.Elem() == cim.TypeObject {
			continue // qualifiers have no such types
		}
		w.WriteString(`<QUALIFIER NAME="`)
		escapeAttr(w, q.Name)
		w.WriteString(`" TYPE="` + typeName(t) + `"`)
		f := q.Flavor
		if f&^cim.FlavorPropagated == 0 {
			// Not set (a declaration): the qualifier's standard flavor,
			// restricted when that is none.
			if f |= cim.StandardFlavor(q.Name); f&^cim.FlavorPropagated == 0 {
				f |= cim.FlavorToInstance
			}
		}
		if f&cim.FlavorPropagated != 0 {
			w.WriteString(` PROPAGATED="true"`)
		}
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
		w.WriteByte('>')
		if !v.IsNull() {
			e.value(w, v)
		}
		w.WriteString("</QUALIFIER>")
	}
}

// classOpts choose what a CLASS element holds (GetClass's parameters).
type classOpts struct {
	localOnly  bool // only what the class itself declares
	qualifiers bool
	origin     bool
	props      map[string]bool // PropertyList; nil: every property
}

// class writes CLASS.
func (e *encoder) class(w *bytes.Buffer, c *cim.Class, opts classOpts) {
	w.WriteString(`<CLASS NAME="`)
	escapeAttr(w, c.Name)
	w.WriteByte('"')
	if c.Superclass != "" {
		writeAttr(w, "SUPERCLASS", c.Superclass)
	}
	w.WriteByte('>')
	if opts.qualifiers {
		qs := c.Qualifiers
		if opts.localOnly {
			qs = ownQualifiers(qs)
		}
		e.qualifiers(w, qs)
	}
	for i := range c.Properties {
		p := &c.Properties[i]
		inherited := p.Origin != "" && !cim.EqualFold(p.Origin, c.Name)
		if opts.localOnly && inherited && !hasOwnQualifier(p.Qualifiers) {
			continue
		}
		if opts.props != nil && !opts.props[strings.ToLower(p.Name)] {
			continue
		}
		e.classProperty(w, p, inherited, opts)
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		inherited := m.Origin != "" && !cim.EqualFold(m.Origin, c.Name)
		if opts.localOnly && inherited && !hasOwnQualifier(m.Qualifiers) {
			continue
		}
		e.method(w, m, inherited, opts)
	}
	w.WriteString("</CLASS>")
}

func ownQualifiers(qs cim.Qualifiers) cim.Qualifiers {
	var out cim.Qualifiers
	for _, q := range qs {
		if q.Flavor&cim.FlavorPropagated == 0 {
			out = append(out, q)
		}
	}
	return out
}

// hasOwnQualifier reports whether an inherited element overrides a
// qualifier (it is then the class's own, in LocalOnly's sense).
func hasOwnQualifier(qs cim.Qualifiers) bool {
	for _, q := range qs {
		if q.Flavor&cim.FlavorPropagated == 0 {
			return true
		}
	}
	return false
}

func (e *encoder) classProperty(w *bytes.Buffer, p *cim.Property, inherited bool, opts classOpts) {
	tag := propertyOpen(w, p, opts.origin, inherited)
	if opts.qualifiers {
		e.qualifiers(w, p.Qualifiers)
	}
	if !p.Default.IsNull() {
		e.value(w, p.Default)
	}
	w.WriteString("</")
	w.WriteString(tag)
	w.WriteByte('>')
}

// withEmbeddedQualifier adds the qualifier that tells other CIM servers a
// string parameter holds an embedded object (EmbeddedInstance("Class") or
// EmbeddedObject), unless the declaration has it.
func withEmbeddedQualifier(qs cim.Qualifiers, refClass string) cim.Qualifiers {
	if _, ok := qs.Get("EmbeddedObject"); ok {
		return qs
	}
	if _, ok := qs.Get("EmbeddedInstance"); ok {
		return qs
	}
	if refClass != "" {
		return qs.With(cim.Qualifier{Name: "EmbeddedInstance", Value: cim.String(refClass), Flavor: cim.DefaultFlavor})
	}
	return qs.With(cim.Qualifier{Name: "EmbeddedObject", Value: cim.Bool(true), Flavor: cim.DefaultFlavor})
}

func (e *encoder) method(w *bytes.Buffer, m *cim.Method, inherited bool, opts classOpts) {
	w.WriteString(`<METHOD NAME="`)
	escapeAttr(w, m.Name)
	w.WriteByte('"')
	if m.ReturnType != cim.TypeEmpty {
		w.WriteString(` TYPE="` + typeName(m.ReturnType) + `"`)
	}
	if opts.origin && m.Origin != "" {
		writeAttr(w, "CLASSORIGIN", m.Origin)
	}
	if inherited {
		w.WriteString(` PROPAGATED="true"`)
	}
	w.WriteByte('>')
	if opts.qualifiers {
		e.qualifiers(w, m.Qualifiers)
	}
	for i := range m.Params {
		p := &m.Params[i]
		t := p.Type
		var tag string
		switch {
		case t == cim.TypeReference:
			tag = "PARAMETER.REFERENCE"
		case t == cim.TypeReference|cim.FlagArray:
			tag = "PARAMETER.REFARRAY"
		case t.IsArray():
			tag = "PARAMETER.ARRAY"
		default:
			tag = "PARAMETER"
		}
		w.WriteByte('<')
		w.WriteString(tag)
		writeAttr(w, "NAME", p.Name)
		if t.Elem() == cim.TypeReference {
			if p.RefClass != "" {
				writeAttr(w, "REFERENCECLASS", p.RefClass)
			}
		} else {
			w.WriteString(` TYPE="` + typeName(t) + `"`)
		}
		w.WriteByte('>')
		// Parameter qualifiers carry the direction (In, Out), which
		// clients need to call the method: always written.
		qs := p.Qualifiers
		if t.Elem() == cim.TypeObject {
			qs = withEmbeddedQualifier(qs, p.RefClass)
		}
		e.qualifiers(w, qs)
		w.WriteString("</")
		w.WriteString(tag)
		w.WriteByte('>')
	}
	w.WriteString("</METHOD>")
}
