package mof

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// Printer formats classes, instances, qualifier declarations and whole plans
// as MOF text that the compiler reads back.
type Printer struct {
	// AllFlavors prints the full flavor list of every qualifier, so that the
	// text compiles back to the same flavors whatever qualifier declarations
	// are in force. Without it a flavor list is printed only where a
	// qualifier's flavor differs from cim.StandardFlavor.
	AllFlavors bool
	// Declarations are the qualifier types in force (e.g. those of the
	// namespace the class lives in). A qualifier whose flavor is its
	// declaration's default is printed without a flavor list; qualifiers not
	// declared here are compared with cim.StandardFlavor.
	Declarations []*QualifierType
}

// defaultFlavor is the flavor a use of the qualifier called name gets without
// a flavor list.
func (p *Printer) defaultFlavor(name string) cim.Flavor {
	for _, d := range p.Declarations {
		if cim.EqualFold(d.Name, name) {
			return d.Flavor
		}
	}
	return cim.StandardFlavor(name)
}

// FormatClass returns the MOF declaration of c as WMI shows a class: its own
// qualifiers and the properties and methods it declares or overrides with
// qualifiers of its own. Inherited members are left out; an override that only
// changes a default value cannot be told apart without the superclass (see
// Printer.Class).
func FormatClass(c *cim.Class) string {
	var b strings.Builder
	(&Printer{}).Class(&b, c, nil)
	return b.String()
}

// FormatInstance returns the MOF declaration of an instance: the properties
// whose values differ from the class's defaults.
func FormatInstance(i *cim.Instance) string {
	var b strings.Builder
	(&Printer{}).Instance(&b, i)
	return b.String()
}

// Print writes FormatClass(c) to w.
func Print(w io.Writer, c *cim.Class) error {
	_, err := io.WriteString(w, FormatClass(c))
	return err
}

type writer struct {
	w   io.Writer
	b   []byte
	err error
}

func (w *writer) s(s string) { w.b = append(w.b, s...) }
func (w *writer) flush() error {
	if w.err == nil && len(w.b) > 0 {
		_, w.err = w.w.Write(w.b)
	}
	w.b = w.b[:0]
	return w.err
}

// Class writes the declaration of c. With the superclass as parent, exactly
// the members c declares or changes are written (the text compiles back to c);
// with a nil parent the choice is FormatClass's.
func (p *Printer) Class(w io.Writer, c *cim.Class, parent *cim.Class) error {
	out := &writer{w: w}
	p.class(out, c, parent, "", "")
	return out.flush()
}

func (p *Printer) class(w *writer, c *cim.Class, parent *cim.Class, alias, indent string) {
	if q := p.qualifiers(c.Qualifiers, nil); q != "" {
		w.s(indent + q + "\n")
	}
	w.s(indent + "class " + c.Name)
	if alias != "" {
		w.s(" as $" + alias)
	}
	if c.Superclass != "" {
		w.s(" : " + c.Superclass)
	}
	w.s("\n" + indent + "{\n")
	for i := range c.Properties {
		pr := &c.Properties[i]
		var pp *cim.Property
		if parent != nil {
			pp, _ = parent.Property(pr.Name)
		}
		if !localProperty(c, pr, pp, parent != nil) {
			continue
		}
		w.s(indent + "\t")
		skip := []string{}
		if pr.Type.IsArray() {
			skip = append(skip, ArraySizeQualifier)
		}
		if q := p.qualifiers(pr.Qualifiers, skip); q != "" {
			w.s(q + "\n" + indent + "\t")
		}
		w.s(declTypeName(pr.Type, pr.RefClass, pr.Qualifiers) + " " + pr.Name + arraySuffix(pr.Type, pr.Qualifiers))
		if !pr.Default.IsNull() {
			w.s(" = ")
			p.value(w, pr.Default, indent+"\t")
		}
		w.s(";\n")
	}
	for i := range c.Methods {
		m := &c.Methods[i]
		var pm *cim.Method
		if parent != nil {
			pm, _ = parent.Method(m.Name)
		}
		if !localMethod(c, m, pm, parent != nil) {
			continue
		}
		w.s(indent + "\t")
		ret := m.ReturnType.String()
		var skip []string
		switch {
		case m.ReturnType == cim.TypeEmpty:
			ret = "void"
		case m.ReturnType == cim.TypeReference:
			// The compiler writes a reference's CIMTYPE from its type.
			ct := m.Qualifiers.Value("CIMTYPE").Str()
			_, cls, _ := strings.Cut(ct, ":")
			ret = typeName(m.ReturnType, cls)
			skip = append(skip, "CIMTYPE")
		case m.ReturnType == cim.TypeObject:
			// An object's class stays in the CIMTYPE qualifier, printed as
			// is: "X M()" would need class X to exist when compiled back.
			ret = "object"
		}
		if q := p.qualifiers(m.Qualifiers, skip); q != "" {
			w.s(q + "\n" + indent + "\t")
		}
		w.s(ret + " " + m.Name + "(")
		for j := range m.Params {
			pa := &m.Params[j]
			if j > 0 {
				w.s(", ")
			}
			var skip []string
			if pa.Type.IsArray() {
				skip = []string{ArraySizeQualifier}
			}
			if q := p.qualifiers(pa.Qualifiers, skip); q != "" {
				w.s(q + " ")
			}
			w.s(declTypeName(pa.Type, pa.RefClass, pa.Qualifiers) + " " + pa.Name + arraySuffix(pa.Type, pa.Qualifiers))
		}
		w.s(");\n")
	}
	w.s(indent + "};\n")
}

func ownQualifiers(qs cim.Qualifiers) bool {
	for _, q := range qs {
		if q.Flavor&cim.FlavorPropagated == 0 {
			return true
		}
	}
	return false
}

func localProperty(c *cim.Class, pr, pp *cim.Property, exact bool) bool {
	if pr.Origin == "" || cim.EqualFold(pr.Origin, c.Name) || ownQualifiers(pr.Qualifiers) {
		return true
	}
	if !exact {
		return false
	}
	return pp == nil || !sameValue(pr.Default, pp.Default) || pr.RefClass != pp.RefClass
}

func localMethod(c *cim.Class, m, pm *cim.Method, exact bool) bool {
	if m.Origin == "" || cim.EqualFold(m.Origin, c.Name) || ownQualifiers(m.Qualifiers) {
		return true
	}
	if !exact {
		return false
	}
	if pm == nil || pm.ReturnType != m.ReturnType || len(pm.Params) != len(m.Params) {
		return true
	}
	for i := range m.Params {
		a, b := &m.Params[i], &pm.Params[i]
		if a.Name != b.Name || a.Type != b.Type || a.RefClass != b.RefClass || !sameQualifiers(a.Qualifiers, b.Qualifiers) {
			return true
		}
	}
	return false
}

// sameValue reports whether two values are identical: same type, same text.
func sameValue(a, b cim.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == cim.TypeObject {
		ai, bi := a.Instance(), b.Instance()
		if ai == nil || bi == nil {
			return ai == bi
		}
		return FormatInstance(ai) == FormatInstance(bi)
	}
	if a.Type().IsArray() {
		x, y := a.Array(), b.Array()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if a.Type().IsReal() {
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	}
	return a.String() == b.String()
}

func sameQualifiers(a, b cim.Qualifiers) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Flavor != b[i].Flavor || !sameValue(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func typeName(t cim.Type, refClass string) string {
	switch t.Elem() {
	case cim.TypeReference:
		if refClass == "" {
			return "object REF"
		}
		return refClass + " REF"
	case cim.TypeObject:
		if refClass != "" {
			return refClass
		}
	}
	return t.Elem().String()
}

// declTypeName is typeName for a declaration: an embedded object whose class
// comes from its own CIMTYPE qualifier is declared as object, since the
// compiler does not require that class to exist.
func declTypeName(t cim.Type, refClass string, qs cim.Qualifiers) string {
	if t.Elem() == cim.TypeObject {
		if q, ok := qs.Get("CIMTYPE"); ok && q.Flavor&cim.FlavorPropagated == 0 && strings.Contains(q.Value.Str(), ":") {
			return "object"
		}
	}
	return typeName(t, refClass)
}

func arraySuffix(t cim.Type, qs cim.Qualifiers) string {
	if !t.IsArray() {
		return ""
	}
	if q, ok := qs.Get(ArraySizeQualifier); ok && q.Value.Type().IsInteger() && q.Value.Int() > 0 && q.Value.Int() <= MaxArraySize {
		return "[" + strconv.FormatInt(q.Value.Int(), 10) + "]"
	}
	return "[]"
}

// qualifiers formats the qualifiers declared on the element itself (not those
// propagated from a superclass), leaving out the names in skip.
func (p *Printer) qualifiers(qs cim.Qualifiers, skip []string) string {
	var b strings.Builder
	n := 0
	for _, q := range qs {
		if q.Flavor&cim.FlavorPropagated != 0 {
			continue
		}
		skipped := false
		for _, s := range skip {
			skipped = skipped || cim.EqualFold(s, q.Name)
		}
		if skipped {
			continue
		}
		if n == 0 {
			b.WriteByte('[')
		} else {
			b.WriteString(", ")
		}
		n++
		b.WriteString(q.Name)
		v := q.Value
		switch {
		case v.Type() == cim.TypeBoolean && v.Bool():
		case v.Type().IsArray():
			w := &writer{}
			p.value(w, v, "")
			b.Write(w.b)
		default:
			w := &writer{}
			p.value(w, v, "")
			b.WriteByte('(')
			b.Write(w.b)
			b.WriteByte(')')
		}
		f := normFlavor(q.Flavor)
		if p.AllFlavors || f != normFlavor(p.defaultFlavor(q.Name)) {
			b.WriteString(": " + strings.Join(flavorWords(f, p.AllFlavors), " "))
		}
	}
	if n > 0 {
		b.WriteByte(']')
	}
	return b.String()
}

// normFlavor drops the bits that are not flavors of a declaration and maps 0
// to the ToInstance marker the compiler uses for restricted qualifiers.
func normFlavor(f cim.Flavor) cim.Flavor {
	f &^= cim.FlavorPropagated | cim.FlavorSystem
	if f == 0 {
		return cim.FlavorToInstance
	}
	return f
}

// flavorWords spells a flavor in full: the override and propagation pair, then
// ToInstance (or NotToInstance when use is set), Translatable and Amended.
func flavorWords(f cim.Flavor, use bool) []string {
	var out []string
	if f&cim.FlavorNotOverridable != 0 {
		out = append(out, "DisableOverride")
	} else {
		out = append(out, "EnableOverride")
	}
	if f&cim.FlavorToSubclass != 0 {
		out = append(out, "ToSubclass")
	} else {
		out = append(out, "Restricted")
	}
	if f&cim.FlavorToInstance != 0 {
		out = append(out, "ToInstance")
	} else if use {
		out = append(out, "NotToInstance")
	}
	if f&cim.FlavorTranslatable != 0 {
		out = append(out, "Translatable")
	}
	if f&cim.FlavorAmended != 0 {
		out = append(out, "Amended")
	}
	return out
}

// value writes v as a MOF literal.
func (p *Printer) value(w *writer, v cim.Value, indent string) {
	t := v.Type()
	switch {
	case v.IsNull():
		w.s("NULL")
	case t.IsArray():
		w.s("{")
		for i, e := range v.Elems() {
			if i > 0 {
				w.s(", ")
			}
			p.value(w, e, indent)
		}
		w.s("}")
	case t == cim.TypeBoolean:
		if v.Bool() {
			w.s("TRUE")
		} else {
			w.s("FALSE")
		}
	case t.IsInteger():
		w.s(v.Text())
	case t.IsReal():
		w.s(formatReal(v))
	case t == cim.TypeChar16:
		w.b = append(w.b, '\'')
		w.b = appendEscaped(w.b, string(v.Char()), '\'')
		w.b = append(w.b, '\'')
	case t == cim.TypeObject:
		if inst := v.Instance(); inst != nil {
			p.instance(w, inst, "", indent)
			return
		}
		w.s("NULL")
	default: // string, datetime, reference
		w.b = append(w.b, '"')
		w.b = appendEscaped(w.b, v.Str(), '"')
		w.b = append(w.b, '"')
	}
}

func formatReal(v cim.Value) string {
	bits := 64
	if v.Type() == cim.TypeReal32 {
		bits = 32
	}
	s := strconv.FormatFloat(v.Float(), 'g', -1, bits)
	if strings.ContainsAny(s, ".nN") {
		return s
	}
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		return s[:i] + ".0" + s[i:]
	}
	return s + ".0"
}

// appendEscaped appends s with MOF escapes: the quote, backslash and control
// characters are escaped; other characters (and invalid UTF-8 bytes) are
// copied.
func appendEscaped(b []byte, s string, quote byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		i++
		switch c {
		case quote, '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			if c < 0x20 || c == 0x7F {
				b = append(b, fmt.Sprintf(`\x%04X`, c)...)
			} else {
				b = append(b, c)
			}
		}
	}
	return b
}

// Instance writes the declaration of an instance.
func (p *Printer) Instance(w io.Writer, i *cim.Instance) error {
	out := &writer{w: w}
	p.instance(out, i, "", "")
	out.s(";\n")
	return out.flush()
}

// instance writes "instance of C { … }" without the final semicolon.
func (p *Printer) instance(w *writer, in *cim.Instance, alias, indent string) {
	c := in.Class()
	w.s("instance of " + c.Name)
	if alias != "" {
		w.s(" as $" + alias)
	}
	w.s("\n" + indent + "{\n")
	for n := range c.Properties {
		v := in.At(n)
		if sameValue(v, c.Properties[n].Default) {
			continue
		}
		w.s(indent + "\t" + c.Properties[n].Name + " = ")
		p.value(w, v, indent+"\t")
		w.s(";\n")
	}
	w.s(indent + "}")
}

// QualifierType writes a qualifier declaration.
func (p *Printer) QualifierType(w io.Writer, q *QualifierType) error {
	out := &writer{w: w}
	out.s("Qualifier " + q.Name + " : " + q.Type.Elem().String())
	if q.Type.IsArray() {
		if q.ArraySize > 0 {
			out.s("[" + strconv.Itoa(q.ArraySize) + "]")
		} else {
			out.s("[]")
		}
	}
	if !q.Default.IsNull() {
		out.s(" = ")
		p.value(out, q.Default, "")
	}
	out.s(", Scope(" + q.Scopes.String() + ")")
	out.s(", Flavor(" + strings.Join(flavorWords(q.Flavor, false), ", ") + ");\n")
	return out.flush()
}

// Plan writes a whole plan: namespace and flag pragmas where they change, then
// each item. Classes are written against their superclass when the plan holds
// it, so compiling the text gives the same plan.
func (p *Printer) Plan(w io.Writer, plan *Plan) error {
	out := &writer{w: w}
	ns := ""
	var cf, inf Flags
	latest := map[string]*cim.Class{}
	for i := range plan.Items {
		it := &plan.Items[i]
		if !cim.EqualFold(it.Namespace, ns) {
			ns = it.Namespace
			out.b = append(out.b, `#pragma namespace("`...)
			out.b = appendEscaped(out.b, `\\.\`+ns, '"')
			out.s("\")\n")
		}
		switch {
		case it.Qualifier != nil:
			if err := out.flush(); err != nil {
				return err
			}
			if err := p.QualifierType(w, it.Qualifier); err != nil {
				return err
			}
		case it.Class != nil:
			if it.Flags != cf {
				cf = it.Flags
				out.s("#pragma classflags(" + flagWords(cf) + ")\n")
			}
			key := strings.ToLower(ns) + ":" + strings.ToLower(it.Class.Superclass)
			parent := latest[key]
			if it.Class.Superclass == "" {
				parent = nil
			}
			p.class(out, it.Class, parent, it.Alias, "")
			latest[strings.ToLower(ns)+":"+strings.ToLower(it.Class.Name)] = it.Class
		case it.Instance != nil:
			if it.Flags != inf {
				inf = it.Flags
				out.s("#pragma instanceflags(" + flagWords(inf) + ")\n")
			}
			p.instance(out, it.Instance, it.Alias, "")
			out.s(";\n")
		case it.DeleteClass != "" || it.DeleteInstance != "":
			name, target := "deleteclass", it.DeleteClass
			if it.DeleteInstance != "" {
				name, target = "deleteinstance", it.DeleteInstance
			}
			mode := "NOFAIL"
			if it.MustExist {
				mode = "FAIL"
			}
			out.s("#pragma " + name + "(\"")
			out.b = appendEscaped(out.b, target, '"')
			out.s("\", " + mode + ")\n")
			if it.DeleteClass != "" {
				delete(latest, strings.ToLower(ns)+":"+strings.ToLower(target))
			}
		}
	}
	return out.flush()
}

func flagWords(f Flags) string {
	var out []string
	for _, x := range []struct {
		f Flags
		s string
	}{{FlagCreateOnly, "createonly"}, {FlagUpdateOnly, "updateonly"}, {FlagSafeUpdate, "safeupdate"}, {FlagForceUpdate, "forceupdate"}} {
		if f&x.f != 0 {
			out = append(out, `"`+x.s+`"`)
			f &^= x.f
		}
	}
	if f != 0 || len(out) == 0 {
		out = append(out, strconv.FormatUint(uint64(f), 10))
	}
	return strings.Join(out, ", ")
}
