package repository

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// Limits of the record encoding. A record that breaks one is refused when it is
// written (WBEM_E_TOO_MUCH_DATA) and reported as corrupt when it is read.
const (
	// MaxRecordSize is the largest encoded class or instance, in bytes.
	MaxRecordSize = 16 << 20
	// MaxNesting is how deeply embedded objects may nest inside one another.
	MaxNesting = 32
	// MaxKeySize is the longest canonical key string of a stored instance, in
	// bytes (bbolt's key limit).
	MaxKeySize = 32 << 10
)

// Record kinds: the first byte of every record names what follows, so a record
// read from the wrong place fails clearly instead of decoding as garbage.
const (
	recClass    byte = 'C'
	recInstance byte = 'I'
	recLayout   byte = 'L'
)

// Kinds of embedded object.
const (
	objClass    byte = 1
	objInstance byte = 2
)

// castagnoli is made on first use, not at start-up: making it costs the
// wbem command a fraction of a millisecond at every start (issue 20).
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// corrupt is the error for a record that does not decode.
func corrupt(what, detail string) *cim.Error {
	return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "repository record %s is corrupt: %s", what, detail)
}

// encoder appends the binary form of classes, instances and values to b.
type encoder struct {
	b []byte
}

func (e *encoder) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) varint(x int64)   { e.b = binary.AppendVarint(e.b, x) }
func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

// seal appends the CRC-32C of the record so far and checks its size.
func (e *encoder) seal(what string) ([]byte, error) {
	if len(e.b)+4 > MaxRecordSize {
		return nil, cim.Errorf(cim.WBEM_E_TOO_MUCH_DATA, "%s encodes to %d bytes, more than the limit of %d", what, len(e.b)+4, MaxRecordSize)
	}
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli()))
	return e.b, nil
}

// value appends a tagged value: its type, then its payload.
func (e *encoder) value(v cim.Value, depth int) error {
	t := v.Type()
	e.uvarint(uint64(t))
	if t == cim.TypeEmpty {
		return nil
	}
	if !t.IsArray() {
		return e.elem(t, v, depth)
	}
	e.uvarint(uint64(v.Len()))
	hasNull := false
	for _, x := range v.Elems() {
		if x.IsNull() {
			hasNull = true
			break
		}
	}
	if hasNull {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
	et := t.Elem()
	for _, x := range v.Elems() {
		if hasNull {
			if x.IsNull() {
				e.b = append(e.b, 0)
				continue
			}
			e.b = append(e.b, 1)
		}
		if err := e.elem(et, x, depth); err != nil {
			return err
		}
	}
	return nil
}

// elem appends the payload of a scalar of type t.
func (e *encoder) elem(t cim.Type, v cim.Value, depth int) error {
	switch {
	case t.IsSigned():
		e.varint(v.Int())
	case t.IsUnsigned():
		e.uvarint(v.Uint())
	case t == cim.TypeReal32:
		e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(v.Float())))
	case t == cim.TypeReal64:
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v.Float()))
	case t == cim.TypeBoolean:
		if v.Bool() {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case t == cim.TypeChar16:
		e.uvarint(uint64(uint16(v.Char())))
	case t == cim.TypeString, t == cim.TypeDatetime, t == cim.TypeReference:
		e.str(v.Str())
	case t == cim.TypeObject:
		if depth >= MaxNesting {
			return cim.Errorf(cim.WBEM_E_TOO_MUCH_DATA, "embedded objects nest more than %d deep", MaxNesting)
		}
		switch o := v.Object().(type) {
		case *cim.Class:
			e.b = append(e.b, objClass)
			return e.class(o, depth+1)
		case *cim.Instance:
			// An embedded instance carries its class inline: it stays readable
			// whatever later happens to the class of that name.
			e.b = append(e.b, objInstance)
			if err := e.class(o.Class(), depth+1); err != nil {
				return err
			}
			p := o.ObjectPath()
			e.str(p.Server)
			e.str(p.Namespace)
			e.uvarint(uint64(o.Len()))
			for i := 0; i < o.Len(); i++ {
				if err := e.value(o.At(i), depth+1); err != nil {
					return err
				}
			}
		default:
			return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "embedded object of Go type %T cannot be stored", o)
		}
	default:
		return cim.Errorf(cim.WBEM_E_INVALID_PROPERTY_TYPE, "value of type %s cannot be stored", t)
	}
	return nil
}

func (e *encoder) qualifiers(qs cim.Qualifiers, depth int) error {
	e.uvarint(uint64(len(qs)))
	for _, q := range qs {
		e.str(q.Name)
		e.uvarint(uint64(q.Flavor))
		if err := e.value(q.Value, depth); err != nil {
			return err
		}
	}
	return nil
}

// class appends every field of a class.
func (e *encoder) class(c *cim.Class, depth int) error {
	e.str(c.Name)
	e.str(c.Superclass)
	e.strs(c.Derivation)
	e.str(c.Server)
	e.str(c.Namespace)
	if err := e.qualifiers(c.Qualifiers, depth); err != nil {
		return err
	}
	e.uvarint(uint64(len(c.Properties)))
	for i := range c.Properties {
		p := &c.Properties[i]
		e.str(p.Name)
		e.uvarint(uint64(p.Type))
		e.str(p.RefClass)
		if err := e.value(p.Default, depth); err != nil {
			return err
		}
		if err := e.qualifiers(p.Qualifiers, depth); err != nil {
			return err
		}
		e.str(p.Origin)
	}
	e.uvarint(uint64(len(c.Methods)))
	for i := range c.Methods {
		m := &c.Methods[i]
		e.str(m.Name)
		e.uvarint(uint64(m.ReturnType))
		e.uvarint(uint64(len(m.Params)))
		for j := range m.Params {
			p := &m.Params[j]
			e.str(p.Name)
			e.uvarint(uint64(p.Type))
			e.str(p.RefClass)
			if err := e.qualifiers(p.Qualifiers, depth); err != nil {
				return err
			}
		}
		if err := e.qualifiers(m.Qualifiers, depth); err != nil {
			return err
		}
		e.str(m.Origin)
	}
	return nil
}

// EncodeClass returns the record of a class: all of it, name, superclass,
// derivation, location, qualifiers with flavors, properties and methods.
func encodeClass(c *cim.Class) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, recClass)
	if err := e.class(c, 0); err != nil {
		return nil, err
	}
	return e.seal("class " + c.Name)
}

// layoutHash identifies the property layout of a class: the names (case-
// folded) and types of its properties, in order. Instance records carry it, so
// that a record written under another layout is decoded by name.
func layoutHash(c *cim.Class) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := range c.Properties {
		p := &c.Properties[i]
		name := p.Name
		for j := 0; j < len(name); j++ {
			ch := name[j]
			if ch >= 0x80 {
				// Rare: fold the rest properly.
				for _, r := range strings.ToLower(name[j:]) {
					h = (h ^ uint64(r)) * prime
				}
				break
			}
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			h = (h ^ uint64(ch)) * prime
		}
		h = (h ^ 0xFF) * prime
		h = (h ^ uint64(p.Type&0xFF)) * prime
		h = (h ^ uint64(p.Type>>8)) * prime
	}
	return h
}

// layoutProp is one property of a stored layout.
type layoutProp struct {
	name string
	typ  cim.Type
}

func encodeLayout(c *cim.Class) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 16*len(c.Properties))}
	e.b = append(e.b, recLayout)
	e.uvarint(uint64(len(c.Properties)))
	for i := range c.Properties {
		e.str(c.Properties[i].Name)
		e.uvarint(uint64(c.Properties[i].Type))
	}
	return e.seal("layout of class " + c.Name)
}

func decodeLayout(rec []byte) ([]layoutProp, error) {
	d, err := open(rec, recLayout, "layout")
	if err != nil {
		return nil, err
	}
	n := d.count()
	out := make([]layoutProp, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, layoutProp{name: d.str(), typ: d.typ()})
	}
	return out, d.finish()
}

// encodeInstance returns the record of an instance: its layout hash and its
// values in the order of its class's properties.
func encodeInstance(inst *cim.Instance, layout uint64) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 64+16*inst.Len())}
	e.b = append(e.b, recInstance)
	e.b = binary.LittleEndian.AppendUint64(e.b, layout)
	e.uvarint(uint64(inst.Len()))
	for i := 0; i < inst.Len(); i++ {
		if err := e.value(inst.At(i), 0); err != nil {
			if ce, ok := err.(*cim.Error); ok {
				ce.Description = "property " + inst.ClassName() + "." + inst.Class().Properties[i].Name + ": " + ce.Description
			}
			return nil, err
		}
	}
	return e.seal("instance of " + inst.ClassName())
}

// instanceLayout returns the layout hash of a record without decoding it.
func instanceLayout(rec []byte) (uint64, error) {
	if len(rec) < 1+8+4 || rec[0] != recInstance {
		return 0, corrupt("instance", "bad header")
	}
	return binary.LittleEndian.Uint64(rec[1:9]), nil
}

// decoder reads a record; the first error sticks and later reads return zero
// values, so callers check once at the end.
type decoder struct {
	b    []byte
	what string
	err  error
}

// open checks a record's checksum and kind and returns a decoder over its body.
func open(rec []byte, kind byte, what string) (*decoder, error) {
	if len(rec) < 5 {
		return nil, corrupt(what, "record too short")
	}
	body, sum := rec[:len(rec)-4], binary.LittleEndian.Uint32(rec[len(rec)-4:])
	if crc32.Checksum(body, castagnoli()) != sum {
		return nil, corrupt(what, "checksum mismatch")
	}
	if body[0] != kind {
		return nil, corrupt(what, "unexpected record kind")
	}
	return &decoder{b: body[1:], what: what}, nil
}

func (d *decoder) fail(detail string) {
	if d.err == nil {
		d.err = corrupt(d.what, detail)
	}
	d.b = nil
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) fixed(n int) []byte {
	if len(d.b) < n {
		d.fail("truncated")
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

// count reads a length that must fit in what is left (every element takes at
// least one byte), so a corrupt count cannot make us allocate much.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count larger than the record")
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) typ() cim.Type {
	x := d.uvarint()
	t := cim.Type(x)
	if x > 0xFFFF || t != cim.TypeEmpty && !t.Valid() {
		d.fail("invalid type")
		return cim.TypeEmpty
	}
	return t
}

func (d *decoder) value(depth int) cim.Value {
	t := d.typ()
	if t == cim.TypeEmpty || d.err != nil {
		return cim.Null
	}
	if !t.IsArray() {
		return d.elem(t, depth)
	}
	n := d.count()
	hasNull := d.byte()
	if hasNull > 1 {
		d.fail("bad array flags")
	}
	et := t.Elem()
	vals := make([]cim.Value, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		if hasNull == 1 && d.byte() == 0 {
			vals = append(vals, cim.Null)
			continue
		}
		vals = append(vals, d.elem(et, depth))
	}
	if d.err != nil {
		return cim.Null
	}
	v, err := cim.ArrayOf(et, vals)
	if err != nil {
		d.fail("array element: " + cim.AsError(err).Description)
		return cim.Null
	}
	return v
}

func (d *decoder) elem(t cim.Type, depth int) cim.Value {
	switch t {
	case cim.TypeSint8:
		return cim.Sint8(int8(d.varint()))
	case cim.TypeSint16:
		return cim.Sint16(int16(d.varint()))
	case cim.TypeSint32:
		return cim.Sint32(int32(d.varint()))
	case cim.TypeSint64:
		return cim.Sint64(d.varint())
	case cim.TypeUint8:
		return cim.Uint8(uint8(d.uvarint()))
	case cim.TypeUint16:
		return cim.Uint16(uint16(d.uvarint()))
	case cim.TypeUint32:
		return cim.Uint32(uint32(d.uvarint()))
	case cim.TypeUint64:
		return cim.Uint64(d.uvarint())
	case cim.TypeReal32:
		return cim.Real32(math.Float32frombits(binary.LittleEndian.Uint32(d.fixed(4))))
	case cim.TypeReal64:
		return cim.Real64(math.Float64frombits(binary.LittleEndian.Uint64(d.fixed(8))))
	case cim.TypeBoolean:
		switch d.byte() {
		case 0:
			return cim.Bool(false)
		case 1:
			return cim.Bool(true)
		}
		d.fail("bad boolean")
	case cim.TypeChar16:
		return cim.Char16(rune(uint16(d.uvarint())))
	case cim.TypeString:
		return cim.String(d.str())
	case cim.TypeReference:
		return cim.RefString(d.str())
	case cim.TypeDatetime:
		s := d.str()
		if d.err != nil {
			return cim.Null
		}
		v, err := cim.String(s).Convert(cim.TypeDatetime)
		if err != nil {
			d.fail("bad datetime " + s)
			return cim.Null
		}
		return v
	case cim.TypeObject:
		if depth >= MaxNesting {
			d.fail("embedded objects nest too deep")
			return cim.Null
		}
		switch d.byte() {
		case objClass:
			c := d.class(depth + 1)
			if d.err != nil {
				return cim.Null
			}
			return cim.Embedded(c)
		case objInstance:
			c := d.class(depth + 1)
			server, ns := d.str(), d.str()
			n := d.count()
			if d.err != nil {
				return cim.Null
			}
			if n != len(c.Properties) {
				d.fail("embedded instance does not match its class")
				return cim.Null
			}
			inst := c.NewInstance()
			inst.SetLocation(server, ns)
			for i := 0; i < n && d.err == nil; i++ {
				inst.SetAt(i, d.value(depth+1))
			}
			if d.err != nil {
				return cim.Null
			}
			return cim.Embedded(inst)
		}
		d.fail("bad embedded object kind")
	default:
		d.fail("bad value type")
	}
	return cim.Null
}

func (d *decoder) qualifiers(depth int) cim.Qualifiers {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make(cim.Qualifiers, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		q := cim.Qualifier{Name: d.str()}
		q.Flavor = cim.Flavor(d.uvarint())
		q.Value = d.value(depth)
		out = append(out, q)
	}
	return out
}

func (d *decoder) class(depth int) *cim.Class {
	c := &cim.Class{Name: d.str(), Superclass: d.str(), Derivation: d.strs(), Server: d.str(), Namespace: d.str()}
	c.Qualifiers = d.qualifiers(depth)
	if n := d.count(); n > 0 {
		c.Properties = make([]cim.Property, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			p := cim.Property{Name: d.str(), Type: d.typ(), RefClass: d.str()}
			p.Default = d.value(depth)
			p.Qualifiers = d.qualifiers(depth)
			p.Origin = d.str()
			c.Properties = append(c.Properties, p)
		}
	}
	if n := d.count(); n > 0 {
		c.Methods = make([]cim.Method, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			m := cim.Method{Name: d.str(), ReturnType: d.typ()}
			if np := d.count(); np > 0 {
				m.Params = make([]cim.Parameter, 0, np)
				for j := 0; j < np && d.err == nil; j++ {
					p := cim.Parameter{Name: d.str(), Type: d.typ(), RefClass: d.str()}
					p.Qualifiers = d.qualifiers(depth)
					m.Params = append(m.Params, p)
				}
			}
			m.Qualifiers = d.qualifiers(depth)
			m.Origin = d.str()
			c.Methods = append(c.Methods, m)
		}
	}
	return c
}

// decodeClass decodes a class record.
func decodeClass(rec []byte) (*cim.Class, error) {
	d, err := open(rec, recClass, "class")
	if err != nil {
		return nil, err
	}
	c := d.class(0)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// classSuperclass reads only the name and superclass of a class record.
func classSuperclass(rec []byte) (name, super string, err error) {
	d, err := open(rec, recClass, "class")
	if err != nil {
		return "", "", err
	}
	name, super = d.str(), d.str()
	return name, super, d.err
}

// instanceDecoder decodes instance records for one class. Records written
// under the class's own layout decode by position; others are matched by
// property name through their stored layout (a property added since takes its
// default, a removed one is dropped, a changed type is converted).
type instanceDecoder struct {
	class  *cim.Class
	hash   uint64
	layout func(hash uint64) ([]layoutProp, error) // looks up a stored layout
	maps   map[uint64][]int                        // layout → class position per stored value (-1: dropped)
}

func newInstanceDecoder(class *cim.Class, layout func(uint64) ([]layoutProp, error)) *instanceDecoder {
	return &instanceDecoder{class: class, hash: layoutHash(class), layout: layout}
}

func (x *instanceDecoder) decode(rec []byte) (*cim.Instance, error) {
	what := "instance of " + x.class.Name
	d, err := open(rec, recInstance, what)
	if err != nil {
		return nil, err
	}
	h := binary.LittleEndian.Uint64(d.fixed(8))
	n := d.count()
	if d.err != nil {
		return nil, d.err
	}
	inst := x.class.NewInstance()
	if h == x.hash {
		if n != len(x.class.Properties) {
			return nil, corrupt(what, "value count does not match the class")
		}
		for i := 0; i < n && d.err == nil; i++ {
			inst.SetAt(i, d.value(0))
		}
		if err := d.finish(); err != nil {
			return nil, err
		}
		return inst, nil
	}
	m, err := x.mapping(h, n)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n && d.err == nil; i++ {
		v := d.value(0)
		j := m[i]
		if j < 0 || d.err != nil {
			continue
		}
		p := &x.class.Properties[j]
		if !v.IsNull() && v.Type() != p.Type {
			c, err := v.Convert(p.Type)
			if err != nil {
				return nil, cim.Errorf(cim.WBEM_E_TYPE_MISMATCH, "stored %s: property %s holds %s, which does not convert to %s since the class changed", what, p.Name, v, p.Type)
			}
			v = c
		}
		inst.SetAt(j, v)
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return inst, nil
}

func (x *instanceDecoder) mapping(h uint64, n int) ([]int, error) {
	if m, ok := x.maps[h]; ok {
		return m, nil
	}
	lay, err := x.layout(h)
	if err != nil {
		return nil, err
	}
	if len(lay) != n {
		return nil, corrupt("instance of "+x.class.Name, "value count does not match its layout")
	}
	m := make([]int, n)
	for i, p := range lay {
		m[i] = x.class.PropertyIndex(p.name)
	}
	if x.maps == nil {
		x.maps = map[uint64][]int{}
	}
	x.maps[h] = m
	return m, nil
}

// SameClass reports whether storing a would store what b's record holds,
// wherever each was located (a class read back knows its namespace): a write
// that changes nothing can then be left out.
func SameClass(a, b *cim.Class) bool {
	if a == nil || b == nil {
		return a == b
	}
	a, b = a.Located("", ""), b.Located("", "")
	ra, err := encodeClass(a)
	if err != nil {
		return false
	}
	rb, err := encodeClass(b)
	return err == nil && string(ra) == string(rb)
}

// SameInstance reports whether storing a would store exactly what b's record
// holds (the same class layout and the same values).
func SameInstance(a, b *cim.Instance) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !cim.EqualFold(a.ClassName(), b.ClassName()) {
		return false
	}
	ha, hb := layoutHash(a.Class()), layoutHash(b.Class())
	if ha != hb {
		return false
	}
	ra, err := encodeInstance(a, ha)
	if err != nil {
		return false
	}
	rb, err := encodeInstance(b, hb)
	return err == nil && string(ra) == string(rb)
}
