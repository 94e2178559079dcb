package providerwire

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/provider"
)

// Limits of what one message may hold; past them the sender splits (batches)
// or the receiver refuses with WBEM_E_PROVIDER_FAILURE.
const (
	// MaxBatch is the most instances one Batch holds.
	MaxBatch = 1000
	// MaxBatchBytes is about the most bytes one Batch holds; a single
	// instance larger than it travels alone.
	MaxBatchBytes = 1 << 20
	// MaxMessageBytes bounds any message the daemon receives from a provider.
	MaxMessageBytes = 64 << 20
	// MaxDepth bounds the nesting of embedded objects.
	MaxDepth = 32
	// StreamWindow is the HTTP/2 flow-control window of both sides: larger
	// than what credit lets a provider send ahead, so that credit, not
	// HTTP/2, paces an enumeration.
	StreamWindow = 16 << 20
)

// EncodeClass returns the wire form of a class.
func EncodeClass(c *cim.Class) *Class {
	if c == nil {
		return nil
	}
	m := &Class{Name: c.Name, Superclass: c.Superclass, Derivation: c.Derivation, Qualifiers: encodeQualifiers(c.Qualifiers)}
	m.Properties = make([]*Property, len(c.Properties))
	for i := range c.Properties {
		p := &c.Properties[i]
		m.Properties[i] = &Property{Name: p.Name, Type: uint32(p.Type), RefClass: p.RefClass,
			Qualifiers: encodeQualifiers(p.Qualifiers), Default: encodeValue(p.Default, 0), Origin: p.Origin}
	}
	if len(c.Methods) > 0 {
		m.Methods = make([]*Method, len(c.Methods))
	}
	for i := range c.Methods {
		cm := &c.Methods[i]
		mm := &Method{Name: cm.Name, ReturnType: uint32(cm.ReturnType), Qualifiers: encodeQualifiers(cm.Qualifiers), Origin: cm.Origin}
		for j := range cm.Params {
			p := &cm.Params[j]
			mm.Params = append(mm.Params, &Parameter{Name: p.Name, Type: uint32(p.Type), RefClass: p.RefClass, Qualifiers: encodeQualifiers(p.Qualifiers)})
		}
		m.Methods[i] = mm
	}
	return m
}

func encodeQualifiers(qs cim.Qualifiers) []*Qualifier {
	if len(qs) == 0 {
		return nil
	}
	out := make([]*Qualifier, len(qs))
	for i, q := range qs {
		out[i] = &Qualifier{Name: q.Name, Type: uint32(q.Value.Type()), Value: encodeValue(q.Value, 0), Flavor: uint32(q.Flavor)}
	}
	return out
}

// DecodeClass returns the class a wire class describes. It checks names and
// types, so a class from a provider is as sound as one from the repository.
func DecodeClass(m *Class) (*cim.Class, error) { return decodeClass(m, 0) }

func decodeClass(m *Class, depth int) (*cim.Class, error) {
	if m == nil {
		return nil, wireErrorf("a class is missing")
	}
	if depth > MaxDepth {
		return nil, wireErrorf("objects nest deeper than %d", MaxDepth)
	}
	if m.Name == "" {
		return nil, wireErrorf("a class has no name")
	}
	c := &cim.Class{Name: m.Name, Superclass: m.Superclass, Derivation: m.Derivation}
	var err error
	if c.Qualifiers, err = decodeQualifiers(m.Qualifiers, depth); err != nil {
		return nil, err
	}
	c.Properties = make([]cim.Property, len(m.Properties))
	for i, p := range m.Properties {
		t, err := decodeType(p.GetType(), p.GetName())
		if err != nil {
			return nil, err
		}
		if p.GetName() == "" {
			return nil, wireErrorf("a property of class %s has no name", m.Name)
		}
		prop := cim.Property{Name: p.Name, Type: t, RefClass: p.RefClass, Origin: p.Origin}
		if prop.Qualifiers, err = decodeQualifiers(p.Qualifiers, depth); err != nil {
			return nil, err
		}
		if prop.Default, err = decodeValue(p.Default, t, depth); err != nil {
			return nil, err
		}
		c.Properties[i] = prop
	}
	for _, mm := range m.Methods {
		rt := cim.TypeEmpty
		if mm.GetReturnType() != 0 {
			if rt, err = decodeType(mm.ReturnType, mm.Name); err != nil {
				return nil, err
			}
		}
		meth := cim.Method{Name: mm.Name, ReturnType: rt, Origin: mm.Origin}
		if meth.Qualifiers, err = decodeQualifiers(mm.Qualifiers, depth); err != nil {
			return nil, err
		}
		for _, p := range mm.Params {
			t, err := decodeType(p.GetType(), p.GetName())
			if err != nil {
				return nil, err
			}
			param := cim.Parameter{Name: p.Name, Type: t, RefClass: p.RefClass}
			if param.Qualifiers, err = decodeQualifiers(p.Qualifiers, depth); err != nil {
				return nil, err
			}
			meth.Params = append(meth.Params, param)
		}
		c.Methods = append(c.Methods, meth)
	}
	return c, nil
}

func decodeType(n uint32, what string) (cim.Type, error) {
	t := cim.Type(n)
	if n > math.MaxUint16 || !t.Valid() {
		return 0, wireErrorf("%s has the unknown CIM type %d", what, n)
	}
	return t, nil
}

func decodeQualifiers(ms []*Qualifier, depth int) (cim.Qualifiers, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	out := make(cim.Qualifiers, len(ms))
	for i, q := range ms {
		var t cim.Type
		if q.GetType() != 0 {
			var err error
			if t, err = decodeType(q.Type, "qualifier "+q.Name); err != nil {
				return nil, err
			}
		}
		v, err := decodeValue(q.Value, t, depth)
		if err != nil {
			return nil, err
		}
		if q.GetFlavor() > math.MaxUint16 {
			return nil, wireErrorf("qualifier %s has the flavor %d", q.Name, q.Flavor)
		}
		out[i] = cim.Qualifier{Name: q.Name, Value: v, Flavor: cim.Flavor(q.Flavor)}
	}
	return out, nil
}

// EncodeInstance returns the wire form of inst. When inst's class is of the
// name asked for (the class of the request), the class name is left out.
func EncodeInstance(inst *cim.Instance, asked string) *Instance {
	return encodeInstance(inst, asked, 0)
}

func encodeInstance(inst *cim.Instance, asked string, depth int) *Instance {
	if inst == nil {
		return nil
	}
	c := inst.Class()
	m := &Instance{}
	if asked == "" || !cim.EqualFold(c.Name, asked) {
		m.ClassName = c.Name
		if asked == "" {
			m.Class = EncodeClass(c)
		}
	}
	n := 0
	for i := range inst.Len() {
		if !inst.At(i).IsNull() {
			n++
		}
	}
	m.Properties = make([]*PropertyValue, 0, n)
	// One allocation for every property's two messages.
	pvs := make([]PropertyValue, n)
	vs := make([]Value, n)
	k := 0
	for i := range inst.Len() {
		v := inst.At(i)
		if v.IsNull() {
			continue
		}
		setValue(&vs[k], v, depth)
		pvs[k].Name = c.Properties[i].Name
		pvs[k].Value = &vs[k]
		m.Properties = append(m.Properties, &pvs[k])
		k++
	}
	return m
}

// EncodeValue returns the wire form of v; nil for NULL.
func EncodeValue(v cim.Value) *Value { return encodeValue(v, 0) }

func encodeValue(v cim.Value, depth int) *Value {
	if v.IsNull() {
		return nil
	}
	m := &Value{}
	setValue(m, v, depth)
	return m
}

func setValue(m *Value, v cim.Value, depth int) {
	t := v.Type()
	switch {
	case t.IsArray():
		items := v.Array()
		a := &Array{Items: make([]*Value, len(items))}
		for i, e := range items {
			a.Items[i] = encodeValue(e, depth)
			if a.Items[i] == nil {
				a.Items[i] = &Value{}
			}
		}
		m.Kind = &Value_Array{Array: a}
	case t == cim.TypeBoolean:
		m.Kind = &Value_Boolean{Boolean: v.Bool()}
	case t.IsSigned():
		m.Kind = &Value_Signed{Signed: v.Int()}
	case t.IsUnsigned() || t == cim.TypeChar16:
		m.Kind = &Value_Unsigned{Unsigned: v.Uint()}
	case t.IsReal():
		m.Kind = &Value_Real{Real: v.Float()}
	case t == cim.TypeObject:
		if inst := v.Instance(); inst != nil && depth < MaxDepth {
			m.Kind = &Value_Object{Object: encodeInstance(inst, "", depth+1)}
		}
	default:
		m.Kind = &Value_Text{Text: v.Str()}
	}
}

// DecodeInstance returns the instance m describes, of class (the class of the
// request) unless m names another and carries it.
func DecodeInstance(m *Instance, class *cim.Class) (*cim.Instance, error) {
	return decodeInstance(m, class, 0)
}

func decodeInstance(m *Instance, class *cim.Class, depth int) (*cim.Instance, error) {
	if m == nil {
		return nil, nil
	}
	if depth > MaxDepth {
		return nil, wireErrorf("objects nest deeper than %d", MaxDepth)
	}
	c := class
	if m.Class != nil {
		var err error
		if c, err = decodeClass(m.Class, depth+1); err != nil {
			return nil, err
		}
	} else if c == nil || m.ClassName != "" && !cim.EqualFold(m.ClassName, c.Name) {
		asked := "none"
		if c != nil {
			asked = c.Name
		}
		return nil, wireErrorf("an instance of class %s came without its class (asked for %s)", m.ClassName, asked)
	}
	inst := c.NewInstance()
	if len(m.Values) > len(c.Properties) {
		return nil, tooManyValues(c, len(m.Values))
	}
	for i, vm := range m.Values {
		v, err := decodeValue(vm, c.Properties[i].Type, depth)
		if err != nil {
			return nil, fmt.Errorf("property %s.%s: %w", c.Name, c.Properties[i].Name, err)
		}
		inst.SetAt(i, v)
	}
	for i, pv := range m.Properties {
		name := pv.GetName()
		k := -1
		if i < len(c.Properties) && c.Properties[i].Name == name {
			k = i // the usual case: every property, in class order
		} else {
			k = c.PropertyIndex(name)
		}
		if k < 0 {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: name,
				Description: fmt.Sprintf("class %s has no property %s", c.Name, name)}
		}
		v, err := decodeValue(pv.Value, c.Properties[k].Type, depth)
		if err != nil {
			return nil, fmt.Errorf("property %s.%s: %w", c.Name, name, err)
		}
		inst.SetAt(k, v)
	}
	return inst, nil
}

func tooManyValues(c *cim.Class, n int) error {
	return wireErrorf("an instance of class %s has %d values by position, and the class %d properties", c.Name, n, len(c.Properties))
}

// DecodeValue returns the value of type t that m holds.
func DecodeValue(m *Value, t cim.Type) (cim.Value, error) { return decodeValue(m, t, 0) }

func decodeValue(m *Value, t cim.Type, depth int) (cim.Value, error) {
	if m == nil || m.Kind == nil {
		return cim.Null, nil
	}
	var v cim.Value
	switch k := m.Kind.(type) {
	case *Value_Boolean:
		v = cim.Bool(k.Boolean)
	case *Value_Signed:
		if t.IsSigned() || t == cim.TypeEmpty {
			return intOf(t, k.Signed)
		}
		v = cim.Sint64(k.Signed)
	case *Value_Unsigned:
		if t.IsUnsigned() || t == cim.TypeEmpty {
			return uintOf(t, k.Unsigned)
		}
		v = cim.Uint64(k.Unsigned)
	case *Value_Real:
		v = cim.Real64(k.Real)
	case *Value_Text:
		if t == cim.TypeString || t == cim.TypeEmpty {
			return cim.String(k.Text), nil
		}
		v = cim.String(k.Text)
	case *Value_Object:
		if t != cim.TypeObject && t != cim.TypeEmpty {
			return cim.Null, wireErrorf("an object where a %s was expected", t)
		}
		inst, err := decodeInstance(k.Object, nil, depth+1)
		if err != nil {
			return cim.Null, err
		}
		return cim.Embedded(inst), nil
	case *Value_Array:
		if t == cim.TypeEmpty {
			return cim.Null, wireErrorf("an array without a type")
		}
		if !t.IsArray() {
			return cim.Null, wireErrorf("an array where a %s was expected", t)
		}
		items := make([]cim.Value, len(k.Array.GetItems()))
		for i, e := range k.Array.GetItems() {
			var err error
			if items[i], err = decodeValue(e, t.Elem(), depth); err != nil {
				return cim.Null, err
			}
		}
		return cim.ArrayOf(t.Elem(), items)
	default:
		return cim.Null, wireErrorf("a value of an unknown kind")
	}
	if t == cim.TypeEmpty {
		return v, nil
	}
	return v.Convert(t)
}

func intOf(t cim.Type, n int64) (cim.Value, error) {
	switch t {
	case cim.TypeSint64, cim.TypeEmpty:
		return cim.Sint64(n), nil
	case cim.TypeSint32:
		if n == int64(int32(n)) {
			return cim.Sint32(int32(n)), nil
		}
	case cim.TypeSint16:
		if n == int64(int16(n)) {
			return cim.Sint16(int16(n)), nil
		}
	case cim.TypeSint8:
		if n == int64(int8(n)) {
			return cim.Sint8(int8(n)), nil
		}
	}
	return cim.Sint64(n).Convert(t)
}

func uintOf(t cim.Type, n uint64) (cim.Value, error) {
	switch t {
	case cim.TypeUint64, cim.TypeEmpty:
		return cim.Uint64(n), nil
	case cim.TypeUint32:
		if n <= math.MaxUint32 {
			return cim.Uint32(uint32(n)), nil
		}
	case cim.TypeUint16:
		if n <= math.MaxUint16 {
			return cim.Uint16(uint16(n)), nil
		}
	case cim.TypeUint8:
		if n <= math.MaxUint8 {
			return cim.Uint8(uint8(n)), nil
		}
	}
	return cim.Uint64(n).Convert(t)
}

// EncodeHint returns the wire form of a query hint; nil for nil.
func EncodeHint(h *provider.Hint) *Hint {
	if h == nil {
		return nil
	}
	m := &Hint{Query: h.Query, Properties: h.Properties}
	for name, vals := range h.Equal {
		eq := &Equality{Property: name}
		for _, v := range vals {
			eq.Values = append(eq.Values, encodeValue(v, 0))
		}
		m.Equal = append(m.Equal, eq)
	}
	return m
}

// DecodeHint returns the hint m describes, its values typed by class.
func DecodeHint(m *Hint, class *cim.Class) (*provider.Hint, error) {
	if m == nil {
		return nil, nil
	}
	h := &provider.Hint{Query: m.Query, Properties: m.Properties}
	if len(m.Equal) > 0 {
		h.Equal = make(map[string][]cim.Value, len(m.Equal))
	}
	for _, eq := range m.Equal {
		p, ok := class.Property(eq.Property)
		if !ok {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: eq.Property,
				Description: fmt.Sprintf("class %s has no property %s", class.Name, eq.Property)}
		}
		var vals []cim.Value
		for _, vm := range eq.Values {
			v, err := decodeValue(vm, p.Type, 0)
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
		}
		h.Equal[strings.ToLower(eq.Property)] = vals
	}
	return h, nil
}

// EncodeError returns the wire form of err: its WBEM status, or
// WBEM_E_FAILED with its text. nil for nil.
func EncodeError(err error) *Error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Status: uint32(cim.WBEM_E_CALL_CANCELLED), Description: err.Error()}
	}
	e := cim.AsError(err)
	return &Error{Status: uint32(e.Status), Description: e.Description, Parameter: e.Parameter}
}

// DecodeError returns the error m describes, as the named provider's; nil
// for nil. A status that is not an error code becomes WBEM_E_PROVIDER_FAILURE.
func DecodeError(m *Error, providerName string) error {
	if m == nil {
		return nil
	}
	st := cim.Status(m.Status)
	if m.Status < 0x80000000 {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: providerName,
			Description: fmt.Sprintf("provider %q returned the status %#x as an error: %s", providerName, m.Status, m.Description)}
	}
	return &cim.Error{Status: st, Description: m.Description, Parameter: m.Parameter, Provider: providerName}
}

// wireErrorf reports a malformed message.
func wireErrorf(format string, args ...any) error {
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "malformed message: " + fmt.Sprintf(format, args...)}
}

// EncodeCaller returns the wire form of the caller in ctx; nil when there
// is none (an in-process call).
func EncodeCaller(ctx context.Context) *Caller {
	c, ok := identity.FromContext(ctx)
	if !ok || c == nil {
		return nil
	}
	m := &Caller{User: c.Name, Groups: c.Groups, Admin: c.Admin, Remote: c.Remote, Address: c.Address, Method: c.Method}
	if a := c.Account; a != nil {
		m.Account, m.Uid, m.Gid, m.AccountGroups = a.Name, a.UID, a.GID, a.Groups
	}
	return m
}

// CallerContext returns ctx carrying the caller m describes.
func CallerContext(ctx context.Context, m *Caller) context.Context {
	if m == nil {
		return ctx
	}
	c := &identity.Caller{Name: m.User, Groups: m.Groups, Admin: m.Admin, Remote: m.Remote, Address: m.Address, Method: m.Method}
	if m.Account != "" {
		c.Account = &identity.Account{Name: m.Account, UID: m.Uid, GID: m.Gid, Groups: m.AccountGroups}
	}
	return identity.NewContext(ctx, c)
}
