package cimxml

import (
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// classLookup returns the complete definition of a class of the namespace
// objects are read in.
type classLookup func(name string) (*cim.Class, error)

// decoder reads the CIM elements of DSP0201 into gowbem's values.
type decoder struct {
	ns        string // the namespace of relative paths, `root\cimv2`
	lookup    classLookup
	embedding int
}

// badXML is a CIM-XML element that is not what DSP0201 says it must be.
func badXML(n *node, format string, args ...any) *cim.Error {
	where := ""
	if n != nil && n.Line > 0 {
		where = fmt.Sprintf("line %d: ", n.Line)
	}
	return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: where + fmt.Sprintf(format, args...)}
}

// name returns the NAME attribute, which must be a CIM name.
func reqAttr(n *node, attr string) (string, error) {
	v, ok := n.attr(attr)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return "", badXML(n, "<%s> has no %s", n.Name, attr)
	}
	if len(v) > cim.MaxNameLength {
		return "", badXML(n, "the %s of <%s> is longer than %d characters", attr, n.Name, cim.MaxNameLength)
	}
	return v, nil
}

// namespace reads LOCALNAMESPACEPATH as `root\cimv2`.
func namespace(n *node) (string, error) {
	if n == nil || n.Name != "LOCALNAMESPACEPATH" {
		return "", badXML(n, "expected <LOCALNAMESPACEPATH>")
	}
	var parts []string
	for _, k := range n.Kids {
		if k.Name != "NAMESPACE" {
			return "", badXML(k, "<LOCALNAMESPACEPATH> holds <%s>, not <NAMESPACE>", k.Name)
		}
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return "", err
		}
		// A client may put the whole path into one NAMESPACE.
		parts = append(parts, strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' })...)
	}
	if len(parts) == 0 {
		return "", badXML(n, "<LOCALNAMESPACEPATH> names no namespace")
	}
	return strings.Join(parts, `\`), nil
}

// namespacePath reads NAMESPACEPATH: HOST and LOCALNAMESPACEPATH.
func namespacePath(n *node) (host, ns string, err error) {
	if len(n.Kids) != 2 || n.Kids[0].Name != "HOST" {
		return "", "", badXML(n, "<NAMESPACEPATH> holds <HOST> and <LOCALNAMESPACEPATH>")
	}
	ns, err = namespace(n.Kids[1])
	return strings.TrimSpace(n.Kids[0].Text), ns, err
}

// scalar converts the text of a VALUE to t.
func scalar(n *node, text string, t cim.Type) (cim.Value, error) {
	if t == cim.TypeString {
		return cim.String(text), nil
	}
	v, err := cim.String(text).Convert(t)
	if err != nil {
		return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + cim.AsError(err).Description}
	}
	return v, nil
}

func lineOf(n *node) string {
	if n != nil && n.Line > 0 {
		return fmt.Sprintf("line %d: ", n.Line)
	}
	return ""
}

// keyValue reads KEYVALUE: its VALUETYPE (and, when given, TYPE) type it.
func keyValue(n *node) (cim.Value, error) {
	vt, _ := n.attr("VALUETYPE")
	text := n.Text
	if ts, ok := n.attr("TYPE"); ok {
		t, err := cim.ParseType(ts)
		if err != nil || t.IsArray() || t == cim.TypeObject {
			return cim.Null, badXML(n, "<KEYVALUE> has the bad TYPE %q", ts)
		}
		return scalar(n, text, t)
	}
	switch vt {
	case "", "string":
		return cim.String(text), nil
	case "boolean":
		return scalar(n, text, cim.TypeBoolean)
	case "numeric":
		s := strings.TrimSpace(text)
		if strings.HasPrefix(s, "-") {
			return scalar(n, s, cim.TypeSint64)
		}
		if v, err := scalar(n, s, cim.TypeUint64); err == nil {
			return v, nil
		}
		return scalar(n, s, cim.TypeReal64)
	}
	return cim.Null, badXML(n, "<KEYVALUE> has the bad VALUETYPE %q", vt)
}

// instanceName reads INSTANCENAME as a relative path in d.ns.
func (d *decoder) instanceName(n *node) (cim.ObjectPath, error) {
	var p cim.ObjectPath
	class, err := reqAttr(n, "CLASSNAME")
	if err != nil {
		return p, err
	}
	p.Class = class
	for _, k := range n.Kids {
		switch k.Name {
		case "KEYBINDING":
			name, err := reqAttr(k, "NAME")
			if err != nil {
				return p, err
			}
			if len(k.Kids) != 1 {
				return p, badXML(k, "<KEYBINDING NAME=%q> holds one <KEYVALUE> or <VALUE.REFERENCE>", name)
			}
			v, err := d.keyOrRef(k.Kids[0])
			if err != nil {
				return p, err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Name: name, Value: v})
		case "KEYVALUE", "VALUE.REFERENCE":
			v, err := d.keyOrRef(k)
			if err != nil {
				return p, err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Value: v})
		default:
			return p, badXML(k, "<INSTANCENAME> holds <%s>", k.Name)
		}
	}
	if len(p.Keys) == 0 {
		p.Singleton = true
	}
	return p, nil
}

func (d *decoder) keyOrRef(k *node) (cim.Value, error) {
	switch k.Name {
	case "KEYVALUE":
		return keyValue(k)
	case "VALUE.REFERENCE":
		return d.reference(k)
	}
	return cim.Null, badXML(k, "a key is a <KEYVALUE> or a <VALUE.REFERENCE>, not <%s>", k.Name)
}

// objectPath reads any of DSP0201's path elements.
func (d *decoder) objectPath(n *node) (cim.ObjectPath, error) {
	var p cim.ObjectPath
	if n == nil {
		return p, badXML(n, "a path is missing")
	}
	switch n.Name {
	case "OBJECTPATH":
		if len(n.Kids) != 1 {
			return p, badXML(n, "<OBJECTPATH> holds one path")
		}
		return d.objectPath(n.Kids[0])
	case "INSTANCENAME":
		return d.instanceName(n)
	case "CLASSNAME":
		name, err := reqAttr(n, "NAME")
		return cim.ObjectPath{Class: name}, err
	case "LOCALINSTANCEPATH", "LOCALCLASSPATH":
		if len(n.Kids) != 2 {
			return p, badXML(n, "<%s> holds a <LOCALNAMESPACEPATH> and a name", n.Name)
		}
		ns, err := namespace(n.Kids[0])
		if err != nil {
			return p, err
		}
		if p, err = d.objectPath(n.Kids[1]); err != nil {
			return p, err
		}
		p.Namespace = ns
		return p, nil
	case "INSTANCEPATH", "CLASSPATH":
		if len(n.Kids) != 2 || n.Kids[0].Name != "NAMESPACEPATH" {
			return p, badXML(n, "<%s> holds a <NAMESPACEPATH> and a name", n.Name)
		}
		host, ns, err := namespacePath(n.Kids[0])
		if err != nil {
			return p, err
		}
		if p, err = d.objectPath(n.Kids[1]); err != nil {
			return p, err
		}
		p.Server, p.Namespace = host, ns
		return p, nil
	}
	return p, badXML(n, "<%s> is not an object path", n.Name)
}

// reference reads VALUE.REFERENCE as a reference value. A path in the
// decoder's own namespace stays relative.
func (d *decoder) reference(n *node) (cim.Value, error) {
	if len(n.Kids) != 1 {
		return cim.Null, badXML(n, "<VALUE.REFERENCE> holds one path")
	}
	p, err := d.objectPath(n.Kids[0])
	if err != nil {
		return cim.Null, err
	}
	if p.Namespace != "" && cim.EqualFold(cim.NormalNamespace(p.Namespace), d.ns) {
		p.Namespace, p.Server = "", ""
	}
	return cim.Ref(p), nil
}

// embedMode says how the text of a VALUE is read.
type embedMode int

const (
	plainText    embedMode = iota // a value of its type (an embedded object when the type is object)
	embedObject                   // an embedded object (EmbeddedObject on an object-typed element)
	embeddedText                  // an embedded object kept as its text: a string declared EmbeddedObject or EmbeddedInstance
)

// embedding decides how to read the value of an element of type t with
// the qualifiers qs, marked EmbeddedObject (eo) or not. An embedded object
// for a plain string, or any other type, is a type mismatch.
func embedding(n *node, t cim.Type, qs cim.Qualifiers, eo bool) (embedMode, error) {
	switch {
	case !eo || t.Elem() == cim.TypeObject:
		return plainText, nil
	case t.Elem() == cim.TypeString:
		if _, ok := qs.Get("EmbeddedObject"); ok {
			return embeddedText, nil
		}
		if _, ok := qs.Get("EmbeddedInstance"); ok {
			return embeddedText, nil
		}
	}
	return plainText, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + "an embedded object for the type " + t.String()}
}

// eoAttr reports whether an element is marked EmbeddedObject.
func eoAttr(n *node) bool {
	if v, ok := n.attr("EmbeddedObject"); ok && v != "" {
		return true
	}
	v, ok := n.attr("EMBEDDEDOBJECT")
	return ok && v != ""
}

// value reads the value element n (VALUE, VALUE.ARRAY, VALUE.REFERENCE,
// VALUE.REFARRAY, VALUE.NULL) as type t, its text as em says.
func (d *decoder) value(n *node, t cim.Type, em embedMode) (cim.Value, error) {
	switch n.Name {
	case "VALUE.NULL":
		return cim.Null, nil
	case "VALUE":
		if t.IsArray() {
			return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + "a single <VALUE> for the array type " + t.String()}
		}
		if t == cim.TypeObject {
			return d.embeddedValue(n)
		}
		return scalar(n, n.Text, t)
	case "VALUE.REFERENCE":
		if t != cim.TypeReference && t != cim.TypeString {
			return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + "a reference for the type " + t.String()}
		}
		v, err := d.reference(n)
		if err != nil || t == cim.TypeReference {
			return v, err
		}
		return cim.String(v.Str()), nil
	case "VALUE.ARRAY", "VALUE.REFARRAY":
		if !t.IsArray() {
			return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + "an array for the type " + t.String()}
		}
		vals := make([]cim.Value, 0, len(n.Kids))
		for _, k := range n.Kids {
			v, err := d.value(k, t.Elem(), em)
			if err != nil {
				return cim.Null, err
			}
			vals = append(vals, v)
		}
		a, err := cim.ArrayOf(t.Elem(), vals)
		if err != nil {
			return cim.Null, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: lineOf(n) + cim.AsError(err).Description}
		}
		return a, nil
	}
	return cim.Null, badXML(n, "<%s> is not a value", n.Name)
}

// embeddedValue reads the text of VALUE as an embedded INSTANCE or CLASS.
func (d *decoder) embeddedValue(n *node) (cim.Value, error) {
	text := strings.TrimSpace(n.Text)
	if text == "" {
		return cim.Null, nil
	}
	if d.embedding >= MaxEmbedding {
		return cim.Null, badXML(n, "embedded objects nest deeper than %d", MaxEmbedding)
	}
	root, err := parseDocument(text)
	if err != nil {
		return cim.Null, badXML(n, "embedded object: %v", err)
	}
	d.embedding++
	defer func() { d.embedding-- }()
	obj, err := d.object(root, true)
	if err != nil {
		return cim.Null, err
	}
	return cim.Embedded(obj), nil
}

// object reads INSTANCE or CLASS. An instance of a class the lookup does
// not know is read with a class made of its own properties when adhoc is
// set (embedded objects, CIM_Error).
func (d *decoder) object(n *node, adhoc bool) (cim.Object, error) {
	switch n.Name {
	case "CLASS":
		return d.class(n)
	case "INSTANCE":
		name, err := reqAttr(n, "CLASSNAME")
		if err != nil {
			return nil, err
		}
		var c *cim.Class
		if d.lookup != nil {
			c, err = d.lookup(name)
		}
		if c == nil {
			if !adhoc {
				if err == nil {
					err = &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: "class " + name + " is unknown"}
				}
				return nil, err
			}
			if c, err = adhocClass(n); err != nil {
				return nil, err
			}
		}
		inst, _, err := d.instance(n, c)
		return inst, err
	}
	return nil, badXML(n, "expected <INSTANCE> or <CLASS>, found <%s>", n.Name)
}

// adhocClass makes a class of the properties an INSTANCE element declares.
func adhocClass(n *node) (*cim.Class, error) {
	name, _ := n.attr("CLASSNAME")
	decl := &cim.Class{Name: name}
	for _, k := range n.Kids {
		p, err := declaredProperty(k)
		if err != nil {
			return nil, err
		}
		if p != nil {
			decl.Properties = append(decl.Properties, *p)
		}
	}
	c, err := cim.Derive(nil, decl)
	if err != nil {
		return nil, badXML(n, "instance of %s: %s", name, cim.AsError(err).Description)
	}
	return c, nil
}

// declaredProperty reads the name and type of a PROPERTY, PROPERTY.ARRAY
// or PROPERTY.REFERENCE element (nil for other elements).
func declaredProperty(k *node) (*cim.Property, error) {
	var p cim.Property
	switch k.Name {
	case "PROPERTY", "PROPERTY.ARRAY":
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return nil, err
		}
		ts, _ := k.attr("TYPE")
		t, err := cim.ParseType(ts)
		if err != nil || t.IsArray() || t == cim.TypeReference || t == cim.TypeObject {
			return nil, badXML(k, "property %s has the bad TYPE %q", name, ts)
		}
		if eo, ok := k.attr("EmbeddedObject"); ok && t == cim.TypeString && (eo == "object" || eo == "instance") {
			t = cim.TypeObject
		} else if eo, ok := k.attr("EMBEDDEDOBJECT"); ok && t == cim.TypeString && (eo == "object" || eo == "instance") {
			t = cim.TypeObject
		}
		if k.Name == "PROPERTY.ARRAY" {
			t = t.ArrayOf()
		}
		p.Name, p.Type = name, t
	case "PROPERTY.REFERENCE":
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return nil, err
		}
		p.Name, p.Type = name, cim.TypeReference
		p.RefClass, _ = k.attr("REFERENCECLASS")
	default:
		return nil, nil
	}
	return &p, nil
}

// isProperty reports whether an element is one of the property elements.
func isProperty(name string) bool {
	return name == "PROPERTY" || name == "PROPERTY.ARRAY" || name == "PROPERTY.REFERENCE"
}

// instance reads INSTANCE as an instance of c: properties by name, values
// converted to the class's types. seen marks the properties the element
// held (a query's projection sends only some).
func (d *decoder) instance(n *node, c *cim.Class) (*cim.Instance, []bool, error) {
	if name, _ := n.attr("CLASSNAME"); !cim.EqualFold(name, c.Name) {
		return nil, nil, badXML(n, "<INSTANCE CLASSNAME=%q> read as an instance of %s", name, c.Name)
	}
	inst := c.NewInstance()
	seen := make([]bool, len(c.Properties))
	next := 0 // servers write properties in class order: look there first
	for _, k := range n.Kids {
		if !isProperty(k.Name) {
			if k.Name == "QUALIFIER" {
				continue
			}
			return nil, nil, badXML(k, "<INSTANCE> holds <%s>", k.Name)
		}
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return nil, nil, err
		}
		i := next
		if i >= len(c.Properties) || c.Properties[i].Name != name {
			i = c.PropertyIndex(name)
		}
		next = i + 1
		if i < 0 {
			return nil, nil, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: name,
				Description: lineOf(k) + "class " + c.Name + " has no property " + name}
		}
		p := &c.Properties[i]
		v := cim.Null
		em, err := embedding(k, p.Type, p.Qualifiers, eoAttr(k))
		if err != nil {
			return nil, nil, err
		}
		for _, vk := range k.Kids {
			if vk.Name == "QUALIFIER" {
				continue
			}
			if v, err = d.value(vk, p.Type, em); err != nil {
				e := cim.AsError(err)
				if e.Parameter == "" {
					e.Parameter = p.Name
				}
				e.Description = "property " + p.Name + ": " + e.Description
				return nil, nil, e
			}
		}
		inst.SetAt(i, v)
		seen[i] = true
	}
	return inst, seen, nil
}

// flavorOf reads the flavor attributes of a QUALIFIER.
func flavorOf(n *node) cim.Flavor {
	f := cim.FlavorToSubclass
	if v, _ := n.attr("OVERRIDABLE"); strings.EqualFold(v, "false") {
		f |= cim.FlavorNotOverridable
	}
	if v, _ := n.attr("TOSUBCLASS"); strings.EqualFold(v, "false") {
		f &^= cim.FlavorToSubclass
	}
	if v, _ := n.attr("TOINSTANCE"); strings.EqualFold(v, "true") {
		f |= cim.FlavorToInstance
	}
	if v, _ := n.attr("TRANSLATABLE"); strings.EqualFold(v, "true") {
		f |= cim.FlavorTranslatable
	}
	if v, _ := n.attr("PROPAGATED"); strings.EqualFold(v, "true") {
		f |= cim.FlavorPropagated
	}
	if f&^cim.FlavorPropagated == 0 {
		f |= cim.FlavorToInstance // restricted: flavor 0 would mean "not set"
	}
	return f
}

// qualifier reads QUALIFIER.
func (d *decoder) qualifier(n *node) (cim.Qualifier, error) {
	var q cim.Qualifier
	name, err := reqAttr(n, "NAME")
	if err != nil {
		return q, err
	}
	q.Name = name
	q.Flavor = flavorOf(n)
	ts, _ := n.attr("TYPE")
	t, err := cim.ParseType(ts)
	if err != nil || t.IsArray() || t == cim.TypeObject || t == cim.TypeReference {
		return q, badXML(n, "qualifier %s has the bad TYPE %q", name, ts)
	}
	if ia, _ := n.attr("ISARRAY"); strings.EqualFold(ia, "true") {
		t = t.ArrayOf()
	}
	for _, k := range n.Kids {
		if k.Name == "VALUE.ARRAY" {
			t = t.ArrayOf()
		}
		if q.Value, err = d.value(k, t, plainText); err != nil {
			return q, err
		}
	}
	return q, nil
}

func (d *decoder) qualifiersOf(n *node) (cim.Qualifiers, error) {
	var qs cim.Qualifiers
	for _, k := range n.Kids {
		if k.Name != "QUALIFIER" {
			continue
		}
		q, err := d.qualifier(k)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	return qs, nil
}

// class reads CLASS: what DSP0201 carries, with CLASSORIGIN as Origin.
// Derivation is left to the caller (CLASS names only the superclass).
func (d *decoder) class(n *node) (*cim.Class, error) {
	name, err := reqAttr(n, "NAME")
	if err != nil {
		return nil, err
	}
	c := &cim.Class{Name: name}
	c.Superclass, _ = n.attr("SUPERCLASS")
	c.Superclass = strings.TrimSpace(c.Superclass)
	if c.Qualifiers, err = d.qualifiersOf(n); err != nil {
		return nil, err
	}
	for _, k := range n.Kids {
		switch {
		case k.Name == "QUALIFIER":
		case isProperty(k.Name):
			p, err := declaredProperty(k)
			if err != nil {
				return nil, err
			}
			if p.Origin, _ = k.attr("CLASSORIGIN"); p.Origin == "" {
				p.Origin = name
			}
			if p.Qualifiers, err = d.qualifiersOf(k); err != nil {
				return nil, err
			}
			for _, vk := range k.Kids {
				if vk.Name == "QUALIFIER" {
					continue
				}
				if p.Default, err = d.value(vk, p.Type, plainText); err != nil {
					return nil, err
				}
			}
			c.Properties = append(c.Properties, *p)
		case k.Name == "METHOD":
			m, err := d.method(k, name)
			if err != nil {
				return nil, err
			}
			c.Methods = append(c.Methods, m)
		default:
			return nil, badXML(k, "<CLASS> holds <%s>", k.Name)
		}
	}
	return c, nil
}

func (d *decoder) method(n *node, class string) (cim.Method, error) {
	var m cim.Method
	name, err := reqAttr(n, "NAME")
	if err != nil {
		return m, err
	}
	m.Name = name
	if ts, ok := n.attr("TYPE"); ok && ts != "" {
		if m.ReturnType, err = cim.ParseType(ts); err != nil || m.ReturnType.IsArray() {
			return m, badXML(n, "method %s has the bad TYPE %q", name, ts)
		}
	}
	if m.Origin, _ = n.attr("CLASSORIGIN"); m.Origin == "" {
		m.Origin = class
	}
	if m.Qualifiers, err = d.qualifiersOf(n); err != nil {
		return m, err
	}
	for _, k := range n.Kids {
		var p cim.Parameter
		switch k.Name {
		case "QUALIFIER":
			continue
		case "PARAMETER", "PARAMETER.ARRAY":
			ts, _ := k.attr("TYPE")
			t, err := cim.ParseType(ts)
			if err != nil || t.IsArray() || t == cim.TypeObject {
				return m, badXML(k, "parameter of %s has the bad TYPE %q", name, ts)
			}
			p.Type = t
		case "PARAMETER.REFERENCE", "PARAMETER.REFARRAY":
			p.Type = cim.TypeReference
			p.RefClass, _ = k.attr("REFERENCECLASS")
		default:
			return m, badXML(k, "<METHOD> holds <%s>", k.Name)
		}
		if p.Name, err = reqAttr(k, "NAME"); err != nil {
			return m, err
		}
		if p.Qualifiers, err = d.qualifiersOf(k); err != nil {
			return m, err
		}
		if p.Type == cim.TypeString {
			if q, ok := p.Qualifiers.Get("EmbeddedInstance"); ok {
				p.Type, p.RefClass = cim.TypeObject, q.Value.Str()
			} else if p.Qualifiers.Has("EmbeddedObject") {
				p.Type = cim.TypeObject
			}
		}
		if k.Name == "PARAMETER.ARRAY" || k.Name == "PARAMETER.REFARRAY" {
			p.Type = p.Type.ArrayOf()
		}
		m.Params = append(m.Params, p)
	}
	return m, nil
}
