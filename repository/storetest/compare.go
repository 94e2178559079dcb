package storetest

import (
	"fmt"
	"math"

	"github.com/gowbem/gowbem/cim"
)

// DiffClass describes the first difference between two classes in any
// exported field (name, superclass, derivation, location, qualifiers with
// flavors, properties, methods and parameters), or returns "".
func DiffClass(got, want *cim.Class) string {
	switch {
	case got == nil || want == nil:
		if got != want {
			return fmt.Sprintf("class %v, want %v", got, want)
		}
		return ""
	case got.Name != want.Name:
		return fmt.Sprintf("name %q, want %q", got.Name, want.Name)
	case got.Superclass != want.Superclass:
		return fmt.Sprintf("%s: superclass %q, want %q", want.Name, got.Superclass, want.Superclass)
	case fmt.Sprint(got.Derivation) != fmt.Sprint(want.Derivation):
		return fmt.Sprintf("%s: derivation %q, want %q", want.Name, got.Derivation, want.Derivation)
	case got.Server != want.Server || got.Namespace != want.Namespace:
		return fmt.Sprintf("%s: located at %q %q, want %q %q", want.Name, got.Server, got.Namespace, want.Server, want.Namespace)
	}
	if d := diffQualifiers(got.Qualifiers, want.Qualifiers); d != "" {
		return want.Name + ": " + d
	}
	if len(got.Properties) != len(want.Properties) {
		return fmt.Sprintf("%s: %d properties, want %d", want.Name, len(got.Properties), len(want.Properties))
	}
	for i := range want.Properties {
		g, w := &got.Properties[i], &want.Properties[i]
		where := want.Name + "." + w.Name
		switch {
		case g.Name != w.Name || g.Type != w.Type || g.RefClass != w.RefClass || g.Origin != w.Origin:
			return fmt.Sprintf("%s: property %s %s ref %q origin %q, want %s %s ref %q origin %q", where, g.Name, g.Type, g.RefClass, g.Origin, w.Name, w.Type, w.RefClass, w.Origin)
		}
		if d := DiffValue(g.Default, w.Default); d != "" {
			return where + " default: " + d
		}
		if d := diffQualifiers(g.Qualifiers, w.Qualifiers); d != "" {
			return where + ": " + d
		}
	}
	if len(got.Methods) != len(want.Methods) {
		return fmt.Sprintf("%s: %d methods, want %d", want.Name, len(got.Methods), len(want.Methods))
	}
	for i := range want.Methods {
		g, w := &got.Methods[i], &want.Methods[i]
		where := want.Name + "." + w.Name + "()"
		if g.Name != w.Name || g.ReturnType != w.ReturnType || g.Origin != w.Origin || len(g.Params) != len(w.Params) {
			return fmt.Sprintf("%s: method %s returns %s origin %q with %d params, want %s %s %q %d", where, g.Name, g.ReturnType, g.Origin, len(g.Params), w.Name, w.ReturnType, w.Origin, len(w.Params))
		}
		if d := diffQualifiers(g.Qualifiers, w.Qualifiers); d != "" {
			return where + ": " + d
		}
		for j := range w.Params {
			gp, wp := &g.Params[j], &w.Params[j]
			if gp.Name != wp.Name || gp.Type != wp.Type || gp.RefClass != wp.RefClass {
				return fmt.Sprintf("%s: parameter %s %s ref %q, want %s %s ref %q", where, gp.Name, gp.Type, gp.RefClass, wp.Name, wp.Type, wp.RefClass)
			}
			if d := diffQualifiers(gp.Qualifiers, wp.Qualifiers); d != "" {
				return where + " parameter " + wp.Name + ": " + d
			}
		}
	}
	return ""
}

func diffQualifiers(got, want cim.Qualifiers) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d qualifiers, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Flavor != w.Flavor {
			return fmt.Sprintf("qualifier %s flavor %#x, want %s %#x", g.Name, g.Flavor, w.Name, w.Flavor)
		}
		if d := DiffValue(g.Value, w.Value); d != "" {
			return "qualifier " + w.Name + ": " + d
		}
	}
	return ""
}

// DiffInstance describes the first difference between two instances: class,
// location or any property value; or returns "".
func DiffInstance(got, want *cim.Instance) string {
	if got == nil || want == nil {
		if got != want {
			return fmt.Sprintf("instance %v, want %v", got, want)
		}
		return ""
	}
	if d := DiffClass(got.Class(), want.Class()); d != "" {
		return "class: " + d
	}
	gp, wp := got.ObjectPath(), want.ObjectPath()
	if gp.Server != wp.Server || gp.Namespace != wp.Namespace {
		return fmt.Sprintf("located at %q %q, want %q %q", gp.Server, gp.Namespace, wp.Server, wp.Namespace)
	}
	for i := 0; i < want.Len(); i++ {
		if d := DiffValue(got.At(i), want.At(i)); d != "" {
			return want.Class().Properties[i].Name + ": " + d
		}
	}
	return ""
}

// DiffValue describes how two values differ in type or content (embedded
// objects compared deeply, reals bit for bit), or returns "".
func DiffValue(got, want cim.Value) string {
	if got.Type() != want.Type() {
		return fmt.Sprintf("type %s (%v), want %s (%v)", got.Type(), got, want.Type(), want)
	}
	t := want.Type()
	switch {
	case t == cim.TypeEmpty:
		return ""
	case t.IsArray():
		g, w := got.Array(), want.Array()
		if len(g) != len(w) {
			return fmt.Sprintf("%d elements, want %d", len(g), len(w))
		}
		for i := range w {
			if d := DiffValue(g[i], w[i]); d != "" {
				return fmt.Sprintf("element %d: %s", i, d)
			}
		}
		return ""
	case t == cim.TypeObject:
		switch w := want.Object().(type) {
		case *cim.Instance:
			g, ok := got.Object().(*cim.Instance)
			if !ok {
				return fmt.Sprintf("embedded %T, want an instance", got.Object())
			}
			if d := DiffInstance(g, w); d != "" {
				return "embedded instance: " + d
			}
		case *cim.Class:
			g, ok := got.Object().(*cim.Class)
			if !ok {
				return fmt.Sprintf("embedded %T, want a class", got.Object())
			}
			if d := DiffClass(g, w); d != "" {
				return "embedded class: " + d
			}
		}
		return ""
	case t == cim.TypeReal32 || t == cim.TypeReal64:
		if math.Float64bits(got.Float()) != math.Float64bits(want.Float()) {
			return fmt.Sprintf("%v, want %v", got, want)
		}
		return ""
	case t.IsInteger() || t == cim.TypeBoolean || t == cim.TypeChar16:
		if got.Uint() != want.Uint() {
			return fmt.Sprintf("%v, want %v", got, want)
		}
		return ""
	}
	if got.Str() != want.Str() {
		return fmt.Sprintf("%v, want %v", got, want)
	}
	return ""
}
