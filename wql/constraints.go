package wql

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// Equalities returns, for each property (by lower-case name) that the WHERE
// clause pins down, the values it must equal for the clause to hold, converted
// to the property's type. A provider can use it to look up instances by key
// instead of enumerating. The map comes from top-level AND chains of
// "Prop = constant" and from OR chains over one property ("Prop = 1 OR Prop =
// 2"), nested as deep as the query goes; a property missing from the map is
// not constrained. An empty list means the clause can never hold ("Prop = 1
// AND Prop = 2"). Strings must be compared case-insensitively, as WMI does.
// Datetime properties, embedded members and system properties other than
// __CLASS are never listed. The map must not be modified.
func (f *Filter) Equalities() map[string][]cim.Value { return f.eq }

// Equals returns the values property name (any case) must equal for the WHERE
// clause to hold; ok is false when the clause says nothing of the kind.
func (f *Filter) Equals(name string) (values []cim.Value, ok bool) {
	values, ok = f.eq[strings.ToLower(name)]
	return values, ok
}

func equalities(e Expr, class *cim.Class) map[string][]cim.Value {
	switch e := e.(type) {
	case *Comparison:
		if e.Op != Equal || e.Prop.IsEmbedded() {
			return nil
		}
		name := e.Prop.Path[0]
		low := strings.ToLower(name)
		if strings.EqualFold(name, "__CLASS") {
			if e.Value.Kind != ConstString {
				return nil
			}
			return map[string][]cim.Value{low: {cim.String(e.Value.Str)}}
		}
		p, ok := class.Property(low)
		if !ok {
			return nil
		}
		v, ok, never := typedConst(e.Value, p.Type)
		switch {
		case never:
			return map[string][]cim.Value{low: {}}
		case !ok:
			return nil
		}
		return map[string][]cim.Value{low: {v}}
	case *Logical:
		if e.Op == And {
			var out map[string][]cim.Value
			for _, x := range e.Operands {
				for k, vs := range equalities(x, class) {
					if out == nil {
						out = map[string][]cim.Value{}
					}
					if have, ok := out[k]; ok {
						out[k] = intersect(have, vs)
					} else {
						out[k] = vs
					}
				}
			}
			return out
		}
		var out map[string][]cim.Value
		for i, x := range e.Operands {
			m := equalities(x, class)
			if len(m) == 0 {
				return nil
			}
			if i == 0 {
				out = m
				continue
			}
			for k, vs := range out {
				if more, ok := m[k]; ok {
					out[k] = union(vs, more)
				} else {
					delete(out, k)
				}
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return nil
}

// typedConst converts a constant to a value of type t for a provider. never
// reports a constant that no value of the type can equal (300 for a uint8).
func typedConst(k Const, t cim.Type) (v cim.Value, ok, never bool) {
	switch {
	case t.IsInteger() || t.IsReal():
		n, ok := numberOf(k)
		if !ok {
			return cim.Null, false, false
		}
		var src cim.Value
		switch n.kind {
		case ConstInt:
			src = cim.Sint64(n.i)
		case ConstUint:
			src = cim.Uint64(n.u)
		default:
			src = cim.Real64(n.f)
		}
		v, err := src.Convert(t)
		if err != nil {
			return cim.Null, false, true
		}
		return v, true, false
	case t == cim.TypeBoolean:
		b, ok := truthOf(k)
		return cim.Bool(b), ok, false
	case t == cim.TypeString:
		s, ok := textOf(k)
		return cim.String(s), ok, false
	case t == cim.TypeReference:
		if k.Kind != ConstString {
			return cim.Null, false, false
		}
		return cim.RefString(k.Str), true, false
	case t == cim.TypeChar16:
		if k.Kind == ConstString && len([]rune(k.Str)) == 1 {
			return cim.Char16([]rune(k.Str)[0]), true, false
		}
	}
	return cim.Null, false, false
}

func sameValue(a, b cim.Value) bool {
	return a.Type() == b.Type() && cim.CompareFold(a.Text(), b.Text()) == 0
}

func contains(vs []cim.Value, v cim.Value) bool {
	for _, w := range vs {
		if sameValue(v, w) {
			return true
		}
	}
	return false
}

func intersect(a, b []cim.Value) []cim.Value {
	out := []cim.Value{}
	for _, v := range a {
		if contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func union(a, b []cim.Value) []cim.Value {
	out := append([]cim.Value(nil), a...)
	for _, v := range b {
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
