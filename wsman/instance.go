package wsman

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// classURI is the resource URI of a class: DMTF's prefix for CIM_ classes,
// WMI's (with the namespace) for the others.
func classURI(ns, class string) string {
	if len(class) > 4 && strings.EqualFold(class[:4], "CIM_") {
		return URIPrefixDMTF + class
	}
	return resourceURI(ns, class)
}

// uriNamespace is a namespace as resource URIs and the __cimnamespace
// selector write it: with slashes (root/cimv2).
func uriNamespace(ns string) string {
	return strings.ReplaceAll(cim.NormalNamespace(ns), `\`, "/")
}

// resource is what a resource URI names.
type resource struct {
	Namespace string // with backslashes; "" when the URI does not say
	Class     string // "" for the all-classes URIs
	All       bool   // …/* : any class, with a filter
	ClassDef  bool   // class definitions: gowbem's (gw:CLASS) or DSP0201's
	DSP0201   bool   // class definitions as DSP0201 CLASS elements (URIClassDefinitionDSP0201)
	NSRes     bool   // gowbem's namespaces
	Base      string // the URI up to and including the last '/', to name other classes alike
}

// parseResourceURI interprets a resource URI: WMI's form carries the
// namespace, DMTF's and vendors' forms end in the class name.
func parseResourceURI(uri string) (resource, error) {
	switch uri {
	case URIClassDefinition:
		return resource{ClassDef: true}, nil
	case URIClassDefinitionDSP0201:
		return resource{ClassDef: true, DSP0201: true}, nil
	case URINamespace:
		return resource{NSRes: true}, nil
	case URIAllClasses:
		return resource{All: true}, nil
	case "":
		return resource{}, faultResource(uri, "the request has no ResourceURI")
	}
	if rest, ok := strings.CutPrefix(uri, URIPrefixWMI); ok {
		i := strings.LastIndexByte(rest, '/')
		if i <= 0 || i == len(rest)-1 {
			return resource{}, faultResource(uri, "a WMI resource URI needs a namespace and a class after "+URIPrefixWMI)
		}
		r := resource{Namespace: cim.NormalNamespace(rest[:i]), Class: rest[i+1:], Base: uri[:len(URIPrefixWMI)+i+1]}
		if r.Class == "*" {
			r.Class, r.All = "", true
		} else if !validClassName(r.Class) {
			return resource{}, faultResource(uri, strconv.Quote(r.Class)+" is not a class name")
		}
		return r, nil
	}
	i := strings.LastIndexByte(uri, '/')
	if i < 0 || i == len(uri)-1 || !strings.Contains(uri, "://") {
		return resource{}, faultResource(uri, "not a resource URI of a class (expected …/<namespace>/<Class> or "+URIPrefixDMTF+"<Class>)")
	}
	r := resource{Class: uri[i+1:], Base: uri[:i+1]}
	if r.Class == "*" {
		r.Class, r.All = "", true
	} else if !validClassName(r.Class) {
		return resource{}, faultResource(uri, strconv.Quote(r.Class)+" is not a class name")
	}
	return r, nil
}

func validClassName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 || i > 0 && r >= '0' && r <= '9' {
			continue
		}
		return false
	}
	return true
}

// uriMapper names classes in responses: alike the request's URI when it
// named a class, WMI's or DMTF's form otherwise.
type uriMapper struct {
	base string // "" to use classURI
	ns   string
}

func (m uriMapper) uri(class string) string {
	if m.base != "" && m.base != URIPrefixDMTF {
		return m.base + class
	}
	return classURI(m.ns, class)
}

// classTags are the precomputed tags of one class, so that writing an
// instance costs no formatting beyond its values.
type classTags struct {
	uri        string
	start, end string // the instance element's tags
	prefix     string
	open       []string // <p:Prop>
	close      []string // </p:Prop>
	nilTag     []string // <p:Prop xsi:nil="true"/>
}

// instWriter writes instances as DSP0230 XML. The primary class's prefix
// "p" is declared on the envelope (wsl finds instances by a start tag
// without attributes); other classes declare their own prefix on the
// instance element.
type instWriter struct {
	uris       uriMapper
	primaryURI string
	tags       map[*cim.Class]*classTags
	byName     map[string]*classTags
	next       int
	lastDT     string // a one-entry cache: providers repeat datetimes
	lastDTXML  string
}

func newInstWriter(m uriMapper, primaryURI string) *instWriter {
	return &instWriter{uris: m, primaryURI: primaryURI, tags: map[*cim.Class]*classTags{}, byName: map[string]*classTags{}}
}

func (iw *instWriter) classTags(c *cim.Class) *classTags {
	if t, ok := iw.tags[c]; ok {
		return t
	}
	if len(iw.tags) > 256 { // a bound for enumerations over many classes
		clear(iw.tags)
	}
	uri := iw.uris.uri(c.Name)
	t := &classTags{uri: uri}
	if uri == iw.primaryURI {
		t.prefix = "p"
		t.start = "<p:" + c.Name + ">"
	} else {
		iw.next++
		t.prefix = "p" + strconv.Itoa(iw.next)
		var b bytes.Buffer
		b.WriteString("<" + t.prefix + ":" + c.Name + ` xmlns:` + t.prefix + `="`)
		escapeAttr(&b, uri)
		b.WriteString(`">`)
		t.start = b.String()
	}
	t.end = "</" + t.prefix + ":" + c.Name + ">"
	t.open = make([]string, len(c.Properties))
	t.close = make([]string, len(c.Properties))
	t.nilTag = make([]string, len(c.Properties))
	for i := range c.Properties {
		n := t.prefix + ":" + c.Properties[i].Name
		t.open[i], t.close[i], t.nilTag[i] = "<"+n+">", "</"+n+">", "<"+n+` xsi:nil="true"/>`
	}
	iw.tags[c] = t
	return t
}

// writeInstance writes inst as its class's element.
func (iw *instWriter) writeInstance(w *bytes.Buffer, inst *cim.Instance) {
	c := inst.Class()
	t := iw.classTags(c)
	w.WriteString(t.start)
	for i := range c.Properties {
		v := inst.At(i)
		if v.IsNull() {
			w.WriteString(t.nilTag[i])
			continue
		}
		if v.Type().IsArray() {
			for _, e := range v.Elems() {
				w.WriteString(t.open[i])
				iw.writeScalar(w, e)
				w.WriteString(t.close[i])
			}
			continue
		}
		w.WriteString(t.open[i])
		iw.writeScalar(w, v)
		w.WriteString(t.close[i])
	}
	w.WriteString(t.end)
}

// writeScalar writes one value's content.
func (iw *instWriter) writeScalar(w *bytes.Buffer, v cim.Value) {
	t := v.Type()
	switch {
	case t == cim.TypeString:
		escapeText(w, v.Str())
	case t.IsSigned():
		w.Write(strconv.AppendInt(w.AvailableBuffer(), v.Int(), 10))
	case t.IsUnsigned():
		w.Write(strconv.AppendUint(w.AvailableBuffer(), v.Uint(), 10))
	case t == cim.TypeBoolean:
		if v.Bool() {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case t.IsReal():
		w.WriteString(formatReal(v.Float(), t))
	case t == cim.TypeChar16:
		escapeText(w, string(v.Char()))
	case t == cim.TypeDatetime:
		s := v.Str()
		if s != iw.lastDT {
			iw.lastDT, iw.lastDTXML = s, datetimeXML(s)
		}
		w.WriteString(iw.lastDTXML)
	case t == cim.TypeReference:
		iw.writeEPRContent(w, v.Str())
	case t == cim.TypeObject:
		switch o := v.Object().(type) {
		case *cim.Instance:
			sub := newInstWriter(iw.uris, "")
			sub.next = iw.next + 1000
			sub.writeInstance(w, o)
		case *cim.Class:
			writeClassDef(w, o)
		}
	default:
		escapeText(w, v.Text())
	}
}

func formatReal(f float64, t cim.Type) string {
	switch {
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case math.IsNaN(f):
		return "NaN"
	}
	if t == cim.TypeReal32 {
		return strconv.FormatFloat(f, 'g', -1, 32)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// datetimeXML is a DMTF datetime as DSP0230's cimDateTime content.
func datetimeXML(s string) string {
	d, err := cim.ParseDatetime(s)
	if err != nil || d.HasWildcard() {
		var b bytes.Buffer
		b.WriteString(`<cim:CIM_DateTime xmlns:cim="` + nsCIM + `">`)
		escapeText(&b, s)
		b.WriteString("</cim:CIM_DateTime>")
		return b.String()
	}
	if d.Interval {
		return `<cim:Interval xmlns:cim="` + nsCIM + `">` + formatInterval(d) + "</cim:Interval>"
	}
	var b strings.Builder
	// The prefix is declared here too: wsl put copies the element into a
	// request that does not declare it.
	b.WriteString(`<cim:Datetime xmlns:cim="` + nsCIM + `">`)
	fmt.Fprintf(&b, "%04d-%02d-%02dT%02d:%02d:%02d", d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second)
	if d.Microsecond != 0 {
		fmt.Fprintf(&b, ".%06d", d.Microsecond)
	}
	switch off := d.Offset; {
	case off == 0:
		b.WriteByte('Z')
	case off < 0:
		fmt.Fprintf(&b, "-%02d:%02d", -off/60, -off%60)
	default:
		fmt.Fprintf(&b, "+%02d:%02d", off/60, off%60)
	}
	b.WriteString("</cim:Datetime>")
	return b.String()
}

func formatInterval(d cim.Datetime) string {
	s := fmt.Sprintf("P%dDT%dH%dM%d", d.Days, d.Hour, d.Minute, d.Second)
	if d.Microsecond != 0 {
		s += fmt.Sprintf(".%06d", d.Microsecond)
	}
	return s + "S"
}

// parseInterval reads an xs:duration as a CIM interval, exactly to the
// microsecond.
func parseInterval(s string) (cim.Datetime, error) {
	bad := func(why string) (cim.Datetime, error) {
		return cim.Datetime{}, cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "interval %q: %s", s, why)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "P")
	if !ok || rest == "" {
		return bad("an xs:duration starts with P")
	}
	var us int64
	inTime := false
	const maxUS = int64(cim.MaxIntervalDays+1) * 86400e6
	for rest != "" {
		if rest[0] == 'T' && !inTime {
			inTime, rest = true, rest[1:]
			continue
		}
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 || i == len(rest) {
			return bad("expected a number and a unit at " + strconv.Quote(rest))
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64)
		var frac int64
		rest = rest[i:]
		if rest[0] == '.' {
			j := 1
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			digits := rest[1:j]
			if len(digits) > 6 {
				digits = digits[:6]
			}
			frac, _ = strconv.ParseInt((digits + "000000")[:6], 10, 64)
			rest = rest[j:]
			if rest == "" || rest[0] != 'S' {
				return bad("only seconds may have a fraction")
			}
		}
		var unit int64
		switch {
		case rest[0] == 'D' && !inTime:
			unit = 86400e6
		case rest[0] == 'H' && inTime:
			unit = 3600e6
		case rest[0] == 'M' && inTime:
			unit = 60e6
		case rest[0] == 'S' && inTime:
			unit = 1e6
		default:
			return bad("unsupported unit " + strconv.Quote(rest[:1]))
		}
		rest = rest[1:]
		if n > maxUS/unit {
			return bad("longer than a CIM interval holds")
		}
		us += n*unit + frac
		if us >= maxUS {
			return bad("longer than a CIM interval holds")
		}
	}
	d := cim.Datetime{Interval: true}
	d.Days = int(us / 86400e6)
	us %= 86400e6
	d.Hour = int(us / 3600e6)
	d.Minute = int(us / 60e6 % 60)
	d.Second = int(us / 1e6 % 60)
	d.Microsecond = int(us % 1e6)
	return d, nil
}

// parseXSDateTime reads an xs:dateTime (an xs:date or xs:time as well).
func parseXSDateTime(local, s string) (cim.Datetime, error) {
	s = strings.TrimSpace(s)
	var layouts []string
	switch local {
	case "Date":
		layouts = []string{"2006-01-02Z07:00", "2006-01-02"}
	case "Time":
		layouts = []string{"15:04:05.999999999Z07:00", "15:04:05.999999999"}
	default:
		layouts = []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return cim.DatetimeFromTime(t), nil
		}
	}
	return cim.Datetime{}, cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "%q is not a valid cim:%s", s, local)
}

// writeEPRContent writes the address and reference parameters of the
// object a path names.
func (iw *instWriter) writeEPRContent(w *bytes.Buffer, path string) {
	p, err := cim.ParsePath(path)
	w.WriteString("<wsa:Address>" + anonymous + "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>")
	if err != nil {
		// Not a path we can take apart: carry the text in a selector.
		escapeText(w, iw.uris.uri("*"))
		w.WriteString(`</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="__path">`)
		escapeText(w, path)
		w.WriteString("</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters>")
		return
	}
	ns := p.Namespace
	m := iw.uris
	if ns != "" {
		m.ns = ns
	}
	escapeText(w, m.uri(p.Class))
	w.WriteString("</wsman:ResourceURI><wsman:SelectorSet>")
	iw.writeSelectors(w, p, ns)
	w.WriteString("</wsman:SelectorSet></wsa:ReferenceParameters>")
}

// writeSelectors writes the keys of p (and the namespace when not "").
func (iw *instWriter) writeSelectors(w *bytes.Buffer, p cim.ObjectPath, ns string) {
	for _, k := range p.Keys {
		w.WriteString(`<wsman:Selector Name="`)
		escapeAttr(w, k.Name)
		w.WriteString(`">`)
		if k.Value.Type() == cim.TypeReference {
			w.WriteString("<wsa:EndpointReference>")
			iw.writeEPRContent(w, k.Value.Str())
			w.WriteString("</wsa:EndpointReference>")
		} else {
			escapeText(w, keyText(k.Value))
		}
		w.WriteString("</wsman:Selector>")
	}
	if ns != "" {
		w.WriteString(`<wsman:Selector Name="` + selNamespace + `">`)
		escapeText(w, uriNamespace(ns))
		w.WriteString("</wsman:Selector>")
	}
}

func keyText(v cim.Value) string {
	if v.Type() == cim.TypeBoolean {
		if v.Bool() {
			return "true"
		}
		return "false"
	}
	return v.Text()
}

// writeEPR writes a whole wsa:EndpointReference for the object at p.
func (iw *instWriter) writeEPR(w *bytes.Buffer, p cim.ObjectPath, ns string) {
	w.WriteString("<wsa:EndpointReference><wsa:Address>" + anonymous + "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>")
	escapeText(w, iw.uris.uri(p.Class))
	w.WriteString("</wsman:ResourceURI><wsman:SelectorSet>")
	iw.writeSelectors(w, p, ns)
	w.WriteString("</wsman:SelectorSet></wsa:ReferenceParameters></wsa:EndpointReference>")
}

// classLookup finds a class definition by name, for typing what is read.
type classLookup func(name string) (*cim.Class, error)

// maxNesting bounds embedded objects inside embedded objects (WMI's
// WBEM_MAX_OBJECT_NESTING).
const maxNesting = 64

// reader turns XML back into CIM values, typed by their classes.
type reader struct {
	lookup classLookup
	ns     string // the namespace read paths default to
	depth  int
	// seen marks the properties the last readInstance found elements for.
	seen []bool
	// adhoc reads embedded instances whose class lookup cannot find
	// with a class made up from the element (adhocClass).
	adhoc bool
}

var errNoLookup = cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "no class lookup")

func badValue(class, prop, why string) *cim.Error {
	return &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Parameter: prop,
		Description: fmt.Sprintf("property %s.%s: %s", class, prop, why)}
}

// readInstance reads an instance element of class c.
func (r *reader) readInstance(n *node, c *cim.Class) (*cim.Instance, error) {
	if r.depth > maxNesting {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "embedded objects nest deeper than %d levels", maxNesting)
	}
	inst := c.NewInstance()
	var arrays map[int][]cim.Value
	seen := make([]bool, len(c.Properties))
	if r.depth == 0 {
		r.seen = seen
	}
	next := 0 // properties usually come in the class's order
	for _, k := range n.Kids {
		i := -1
		if next < len(c.Properties) && c.Properties[next].Name == k.Local {
			i = next
		} else if next > 0 && c.Properties[next-1].Name == k.Local {
			i = next - 1 // array elements repeat
		} else {
			i = c.PropertyIndex(k.Local)
		}
		next = i + 1
		if i < 0 {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: k.Local,
				Description: fmt.Sprintf("line %d: class %s has no property %s", k.Line, c.Name, k.Local)}
		}
		p := &c.Properties[i]
		if k.isNil() {
			inst.SetAt(i, cim.Null)
			seen[i] = true
			continue
		}
		v, err := r.readScalar(k, p.Type.Elem(), c.Name, p.Name)
		if err != nil {
			return nil, err
		}
		if p.Type.IsArray() {
			if arrays == nil {
				arrays = map[int][]cim.Value{}
			}
			arrays[i] = append(arrays[i], v)
			seen[i] = true
			continue
		}
		if seen[i] {
			return nil, badValue(c.Name, p.Name, fmt.Sprintf("line %d: a scalar property given twice", k.Line))
		}
		seen[i] = true
		inst.SetAt(i, v)
	}
	for i, vals := range arrays {
		a, err := cim.ArrayOf(c.Properties[i].Type.Elem(), vals)
		if err != nil {
			return nil, badValue(c.Name, c.Properties[i].Name, cim.AsError(err).Description)
		}
		inst.SetAt(i, a)
	}
	return inst, nil
}

// readScalar reads one value of type t from an element's content.
func (r *reader) readScalar(k *node, t cim.Type, class, prop string) (cim.Value, error) {
	bad := func(why string) error { return badValue(class, prop, why) }
	if len(k.Kids) > 0 && t != cim.TypeDatetime && t != cim.TypeReference && t != cim.TypeObject {
		return cim.Null, bad(fmt.Sprintf("line %d: a %s value holds an element <%s>", k.Line, t, k.Kids[0].Local))
	}
	switch {
	case t == cim.TypeString:
		return cim.String(k.Text), nil
	case t == cim.TypeDatetime:
		return readDatetime(k, bad)
	case t == cim.TypeReference:
		return r.readReference(k, bad)
	case t == cim.TypeObject:
		return r.readEmbedded(k, bad)
	case t == cim.TypeBoolean:
		switch strings.ToLower(k.text()) {
		case "true", "1":
			return cim.Bool(true), nil
		case "false", "0":
			return cim.Bool(false), nil
		}
		return cim.Null, bad(fmt.Sprintf("line %d: %q is not a boolean", k.Line, k.text()))
	case t == cim.TypeReal32 || t == cim.TypeReal64:
		return readReal(k, t, bad)
	case t == cim.TypeChar16:
		return convertText(k.Text, t, bad)
	case t.IsInteger():
		s := k.text()
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") || strings.HasPrefix(s, "-0x") {
			return cim.Null, bad(fmt.Sprintf("line %d: %q is not a decimal integer", k.Line, s))
		}
		v, err := cim.String(s).Convert(t)
		if err != nil {
			return cim.Null, bad(fmt.Sprintf("line %d: %s", k.Line, cim.AsError(err).Description))
		}
		return v, nil
	}
	return cim.Null, bad("type " + t.String() + " cannot be read")
}

// convertText converts the text of a value to type t.
func convertText(s string, t cim.Type, bad func(string) error) (cim.Value, error) {
	v, err := cim.String(s).Convert(t)
	if err != nil {
		return cim.Null, bad(cim.AsError(err).Description)
	}
	return v, nil
}

// readDatetime reads a datetime: WS-CIM's cim:Interval, cim:Datetime,
// cim:Date, cim:Time or cim:CIM_DateTime element, or DMTF's text.
func readDatetime(k *node, bad func(string) error) (cim.Value, error) {
	for _, c := range k.Kids {
		if c.Space != nsCIM {
			continue
		}
		var d cim.Datetime
		var err error
		switch c.Local {
		case "Interval":
			d, err = parseInterval(c.Text)
		case "Datetime", "Date", "Time":
			d, err = parseXSDateTime(c.Local, c.Text)
		case "CIM_DateTime":
			return convertText(c.text(), cim.TypeDatetime, bad)
		default:
			continue
		}
		if err != nil {
			return cim.Null, bad(cim.AsError(err).Description)
		}
		return cim.DatetimeValue(d), nil
	}
	v, err := convertText(k.text(), cim.TypeDatetime, bad)
	if err != nil {
		// Some servers (OMI) write an xs:dateTime or xs:duration as plain
		// text, without DSP0230's cim:Datetime element.
		if d, err := parseXSDateTime("Datetime", k.text()); err == nil {
			return cim.DatetimeValue(d), nil
		}
		if d, err := parseInterval(k.text()); err == nil {
			return cim.DatetimeValue(d), nil
		}
	}
	return v, err
}

// readReference reads a reference: an endpoint reference (typed by the
// class of its resource URI when it can be found), or a path's text.
func (r *reader) readReference(k *node, bad func(string) error) (cim.Value, error) {
	src := k
	if e := k.child(nsWSA, "EndpointReference"); e != nil {
		src = e
	}
	if src.child(nsWSA, "ReferenceParameters") == nil {
		return convertText(k.text(), cim.TypeReference, bad)
	}
	e, err := readEPR(src)
	if err != nil {
		return cim.Null, bad(err.Error())
	}
	path, err := r.eprPath(e)
	if err != nil {
		return cim.Null, bad(cim.AsError(err).Description)
	}
	return cim.RefString(path.String()), nil
}

// readEmbedded reads an embedded object: gowbem's class element, or an
// instance of a class the reader can look up.
func (r *reader) readEmbedded(k *node, bad func(string) error) (cim.Value, error) {
	if len(k.Kids) == 0 {
		return cim.Null, bad("an embedded object needs an element")
	}
	e := k.Kids[0]
	if e.Space == NamespaceGowbem && e.Local == "CLASS" {
		c, err := readClassDef(e)
		if err != nil {
			return cim.Null, err
		}
		return cim.Embedded(c), nil
	}
	if r.lookup == nil && !r.adhoc {
		return cim.Null, bad("embedded instances are not accepted here")
	}
	var ec *cim.Class
	var err error = errNoLookup
	if r.lookup != nil {
		ec, err = r.lookup(e.Local)
	}
	if err != nil && r.adhoc && canDoWithout(err) {
		ec, err = adhocClass(e, nil)
	}
	if err != nil {
		return cim.Null, err
	}
	r.depth++
	inst, err := r.readInstance(e, ec)
	r.depth--
	if err != nil {
		return cim.Null, err
	}
	return cim.Embedded(inst), nil
}

// readReal reads an xs:float or xs:double: INF, -INF and NaN as XML Schema
// spells them, no hexadecimal or Go-only forms.
func readReal(k *node, t cim.Type, bad func(string) error) (cim.Value, error) {
	s := k.text()
	var f float64
	switch s {
	case "INF":
		f = math.Inf(1)
	case "-INF":
		f = math.Inf(-1)
	case "NaN":
		f = math.NaN()
	default:
		var err error
		unsigned := strings.TrimLeft(s, "+-")
		if f, err = strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "xXpP_") || strings.EqualFold(unsigned, "inf") || strings.EqualFold(unsigned, "infinity") || strings.EqualFold(s, "nan") {
			return cim.Null, bad(fmt.Sprintf("line %d: %q is not an xs:%s", k.Line, s, map[cim.Type]string{cim.TypeReal32: "float", cim.TypeReal64: "double"}[t]))
		}
	}
	if t == cim.TypeReal32 {
		return cim.Real32(float32(f)), nil
	}
	return cim.Real64(f), nil
}

// eprPath turns an endpoint reference into an object path, typing the keys
// by the class when it can be found.
func (r *reader) eprPath(e *epr) (cim.ObjectPath, error) {
	res, err := parseResourceURI(e.ResourceURI)
	if err != nil && e.ResourceURI != "" {
		return cim.ObjectPath{}, cim.Errorf(cim.WBEM_E_INVALID_OBJECT_PATH, "reference to %q: not a class's resource URI", e.ResourceURI)
	}
	p := cim.ObjectPath{Class: res.Class, Namespace: res.Namespace}
	for _, s := range e.Selectors {
		switch {
		case s.Name == "__path":
			return cim.ParsePath(s.Value)
		case strings.EqualFold(s.Name, selNamespace):
			p.Namespace = cim.NormalNamespace(strings.TrimSpace(s.Value))
		case s.EPR != nil:
			sub, err := r.eprPath(s.EPR)
			if err != nil {
				return cim.ObjectPath{}, err
			}
			p.Keys = append(p.Keys, cim.KeyBinding{Name: s.Name, Value: cim.RefString(sub.String())})
		default:
			p.Keys = append(p.Keys, cim.KeyBinding{Name: s.Name, Value: cim.String(s.Value)})
		}
	}
	if p.Class == "" {
		return cim.ObjectPath{}, cim.Errorf(cim.WBEM_E_INVALID_OBJECT_PATH, "reference without a class")
	}
	if r.ns != "" && strings.EqualFold(p.Namespace, cim.NormalNamespace(r.ns)) {
		p.Namespace = "" // WMI's URIs always carry one: a reference within the namespace stays relative
	}
	if len(p.Keys) == 0 {
		p.Singleton = true
	}
	if r.lookup != nil {
		if c, err := r.lookup(p.Class); err == nil {
			if res.Base == URIPrefixDMTF {
				// A reference by DMTF's keys (WinRM's EPRs of CIM_
				// classes): WMI's path has only WMI's keys. The scoping
				// keys are not checked here, as no instance is read.
				keys := p.Keys[:0:0]
				for _, kb := range p.Keys {
					if pr, ok := c.Property(kb.Name); ok && !pr.IsKey() && pr.Qualifiers.Has("CIM_Key") {
						continue
					}
					keys = append(keys, kb)
				}
				p.Keys = keys
			}
			if q, err := p.Resolve(c); err == nil {
				q.Class = c.Name
				return q, nil
			}
		}
	}
	return p, nil
}

// writeProperty writes one property as the element name (a prefixed name):
// xsi:nil for NULL, one element per item for an array.
func (iw *instWriter) writeProperty(buf *bytes.Buffer, name string, v cim.Value) {
	switch {
	case v.IsNull():
		buf.WriteString("<" + name + ` xsi:nil="true"/>`)
	case v.Type().IsArray():
		for _, e := range v.Elems() {
			buf.WriteString("<" + name + ">")
			iw.writeScalar(buf, e)
			buf.WriteString("</" + name + ">")
		}
	default:
		buf.WriteString("<" + name + ">")
		iw.writeScalar(buf, v)
		buf.WriteString("</" + name + ">")
	}
}
