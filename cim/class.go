package cim

import (
	"slices"
	"strings"
	"sync"
)

// Property is a property of a class: its name, type, default value and
// qualifiers, and the class that first declared it.
type Property struct {
	Name       string
	Type       Type
	RefClass   string // the class of a reference or embedded object, if known
	Default    Value
	Qualifiers Qualifiers
	Origin     string // the class that declared it (filled by Derive)
}

// IsKey reports whether the property is part of the instance's identity.
func (p *Property) IsKey() bool { return p.Qualifiers.Has("Key") }

// Parameter is a method parameter. Its direction comes from the In and Out
// qualifiers (In when neither is given).
type Parameter struct {
	Name       string
	Type       Type
	RefClass   string
	Qualifiers Qualifiers
}

// In reports whether the caller passes this parameter.
func (p *Parameter) In() bool {
	if _, ok := p.Qualifiers.Get("In"); ok {
		return p.Qualifiers.Has("In")
	}
	return !p.Qualifiers.Has("Out")
}

// Out reports whether the method returns this parameter.
func (p *Parameter) Out() bool { return p.Qualifiers.Has("Out") }

// Method is a method of a class.
type Method struct {
	Name       string
	ReturnType Type // TypeEmpty for void
	Params     []Parameter
	Qualifiers Qualifiers
	Origin     string
}

// IsStatic reports whether the method is invoked on the class rather than on an
// instance.
func (m *Method) IsStatic() bool { return m.Qualifiers.Has("Static") }

// Param returns the parameter called name.
func (m *Method) Param(name string) (*Parameter, bool) {
	for i := range m.Params {
		if EqualFold(m.Params[i].Name, name) {
			return &m.Params[i], true
		}
	}
	return nil, false
}

// ParameterClasses returns the classes of m's in-parameters and of its
// out-parameters (ReturnValue first, when m returns a value), both named
// __PARAMETERS as in WMI, with the parameters' qualifiers.
func (m *Method) ParameterClasses() (in, out *Class) {
	in = &Class{Name: "__PARAMETERS"}
	out = &Class{Name: "__PARAMETERS"}
	if m.ReturnType != TypeEmpty {
		out.Properties = append(out.Properties, Property{Name: "ReturnValue", Type: m.ReturnType,
			Qualifiers: Qualifiers{{Name: "Out", Value: Bool(true)}}})
	}
	for _, p := range m.Params {
		prop := Property{Name: p.Name, Type: p.Type, RefClass: p.RefClass, Qualifiers: p.Qualifiers}
		if p.In() {
			in.Properties = append(in.Properties, prop)
		}
		if p.Out() {
			out.Properties = append(out.Properties, prop)
		}
	}
	// The parameters come from a class Derive accepted: these derive too.
	in, _ = Derive(nil, in)
	out, _ = Derive(nil, out)
	return in, out
}

// Class is a CIM class definition. A Class returned by Derive is complete: its
// Properties and Methods include the inherited ones (inherited first, in the
// order of the superclass), its qualifiers include those propagated from the
// superclass, and Derivation lists the ancestors. Complete classes are shared
// between goroutines and must not be modified.
//
// Who may change a class: a class the object manager hands out as a result
// (GetObject of a class, class enumerations, schema queries) and one a
// repository returns from Tx.Class is the caller's own copy; change it and
// put it back with PutClass. The class of an instance (Instance.Class) is
// shared by every instance of it and must not be changed: Clone it first.
type Class struct {
	Name       string
	Superclass string   // "" for a top-level class
	Derivation []string // ancestors, nearest first (filled by Derive)
	Qualifiers Qualifiers
	Properties []Property
	Methods    []Method

	// Where the class lives, for __PATH, __SERVER and __NAMESPACE.
	Server, Namespace string

	projected bool     // a projection of a query: paths only when all keys are present
	selected  []string // the system properties a projection's query named, upper case

	once  sync.Once
	index map[string]int
	keys  []int
}

func (c *Class) init() {
	c.once.Do(func() {
		c.index = make(map[string]int, len(c.Properties))
		for i := range c.Properties {
			c.index[strings.ToLower(c.Properties[i].Name)] = i
			if c.Properties[i].IsKey() {
				c.keys = append(c.keys, i)
			}
		}
	})
}

// PropertyIndex returns the position of the property called name (case-
// insensitive), or -1.
func (c *Class) PropertyIndex(name string) int {
	c.init()
	if i, ok := c.index[name]; ok {
		return i
	}
	if i, ok := c.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// Property returns the property called name.
func (c *Class) Property(name string) (*Property, bool) {
	i := c.PropertyIndex(name)
	if i < 0 {
		return nil, false
	}
	return &c.Properties[i], true
}

// Method returns the method called name.
func (c *Class) Method(name string) (*Method, bool) {
	for i := range c.Methods {
		if EqualFold(c.Methods[i].Name, name) {
			return &c.Methods[i], true
		}
	}
	return nil, false
}

// Keys returns the positions of the key properties.
func (c *Class) Keys() []int { c.init(); return c.keys }

// IsAbstract reports whether the class has the Abstract qualifier.
func (c *Class) IsAbstract() bool { return c.Qualifiers.Has("Abstract") }

// IsAssociation reports whether the class is an association.
func (c *Class) IsAssociation() bool { return c.Qualifiers.Has("Association") }

// IsSingleton reports whether the class has exactly one, keyless, instance.
func (c *Class) IsSingleton() bool { return c.Qualifiers.Has("Singleton") }

// IsDynamic reports whether a provider supplies the class's instances.
func (c *Class) IsDynamic() bool { return c.Qualifiers.Has("Dynamic") }

// ProviderName returns the value of the Provider qualifier, or "".
func (c *Class) ProviderName() string { return c.Qualifiers.Value("Provider").Str() }

// Dynasty returns the top-level ancestor's name (the class's own for a top-level
// class).
func (c *Class) Dynasty() string {
	if len(c.Derivation) == 0 {
		return c.Name
	}
	return c.Derivation[len(c.Derivation)-1]
}

// IsA reports whether the class is name or derives from it.
func (c *Class) IsA(name string) bool {
	if EqualFold(c.Name, name) {
		return true
	}
	for _, d := range c.Derivation {
		if EqualFold(d, name) {
			return true
		}
	}
	return false
}

// IsProjection reports whether the class is the shape of a query's SELECT list
// rather than a class of the schema.
func (c *Class) IsProjection() bool { return c.projected }

// hides reports whether a projection reports the system property up (upper
// case) as NULL: it does unless its query named it.
func (c *Class) hides(up string) bool { return c.projected && !c.selects(up) }

// selects reports whether a projection's query named the system property up.
func (c *Class) selects(up string) bool {
	for _, s := range c.selected {
		if s == up {
			return true
		}
	}
	return false
}

// NewInstance returns a new instance of c with every property at its default.
func (c *Class) NewInstance() *Instance {
	inst := &Instance{class: c, values: make([]Value, len(c.Properties)),
		server: c.Server, namespace: c.Namespace}
	for i := range c.Properties {
		inst.values[i] = c.Properties[i].Default
	}
	return inst
}

// Located returns a copy of c placed at server and namespace.
func (c *Class) Located(server, namespace string) *Class {
	if c.Server == server && c.Namespace == namespace {
		return c
	}
	d := c.shallowCopy()
	d.Server, d.Namespace = server, namespace
	return d
}

// Clone returns a deep copy of c: its own slices of properties, methods,
// parameters, qualifiers and ancestors, which the caller may change without
// touching c. (Default and qualifier values are immutable and are shared;
// see Value.)
func (c *Class) Clone() *Class {
	d := c.shallowCopy()
	d.Derivation = slices.Clone(c.Derivation)
	d.Qualifiers = slices.Clone(c.Qualifiers)
	d.Properties = slices.Clone(c.Properties)
	for i := range d.Properties {
		d.Properties[i].Qualifiers = slices.Clone(d.Properties[i].Qualifiers)
	}
	d.Methods = slices.Clone(c.Methods)
	for i := range d.Methods {
		m := &d.Methods[i]
		m.Qualifiers = slices.Clone(m.Qualifiers)
		m.Params = slices.Clone(m.Params)
		for j := range m.Params {
			m.Params[j].Qualifiers = slices.Clone(m.Params[j].Qualifiers)
		}
	}
	return d
}

func (c *Class) shallowCopy() *Class {
	return &Class{Name: c.Name, Superclass: c.Superclass, Derivation: c.Derivation,
		Qualifiers: c.Qualifiers, Properties: c.Properties, Methods: c.Methods,
		Server: c.Server, Namespace: c.Namespace, projected: c.projected, selected: c.selected}
}

// Project returns the class of a query's results that keep only the named
// properties (names not in c are skipped: WMI returns no error for them). With
// keys, key properties are kept too, so results stay locatable.
//
// names may include system properties (SELECT __PATH, Name FROM …): those a
// projection otherwise reports NULL (__SUPERCLASS, __DYNASTY, __DERIVATION,
// __SERVER) are then returned, and naming __PATH or __RELPATH keeps the key
// properties, which the path is made of.
func (c *Class) Project(names []string, keys bool) *Class {
	d := c.shallowCopy()
	d.projected = true
	d.Properties = nil
	d.selected = nil
	for _, n := range names {
		if !IsSystemProperty(n) {
			continue
		}
		up := strings.ToUpper(n)
		d.selected = append(d.selected, up)
		if up == "__PATH" || up == "__RELPATH" {
			keys = true
		}
	}
	for i := range c.Properties {
		p := c.Properties[i]
		keep := keys && p.IsKey()
		for _, n := range names {
			if EqualFold(n, p.Name) {
				keep = true
				break
			}
		}
		if keep {
			d.Properties = append(d.Properties, p)
		}
	}
	return d
}

// StandardFlavor returns the default flavor of the qualifier called name: its
// flavor in DMTF's standard declarations, or ToSubclass. The standard
// qualifiers below are those whose default is not DMTF's
// EnableOverride+ToSubclass.
func StandardFlavor(name string) Flavor {
	switch strings.ToLower(name) {
	case "abstract", "deprecated", "experimental":
		return 0 // Restricted
	case "association", "indication", "key", "static":
		return FlavorToSubclass | FlavorNotOverridable
	case "description":
		return FlavorToSubclass | FlavorTranslatable
	case "singleton":
		return FlavorToSubclass
	}
	return DefaultFlavor
}

func withFlavors(qs Qualifiers) Qualifiers {
	out := make(Qualifiers, len(qs))
	for i, q := range qs {
		if q.Flavor == 0 {
			q.Flavor = StandardFlavor(q.Name)
			if q.Flavor == 0 {
				q.Flavor = FlavorToInstance // marks "set", keeps it restricted
			}
		}
		out[i] = q
	}
	return out
}

// MaxNameLength is the longest class, property, method or qualifier name WMI
// accepts (longer ones get the *_NAME_TOO_WIDE statuses).
const MaxNameLength = 255

// Derive completes the declaration decl of a class against its superclass
// (nil for a top-level class): it checks names, types and keys, converts default
// values to their property types, and returns a complete class whose inherited
// properties, methods and propagated qualifiers come first. decl is not
// modified.
func Derive(parent *Class, decl *Class) (*Class, error) {
	d := &deriver{parent: parent, decl: decl}
	if err := d.header(); err != nil {
		return nil, err
	}
	d.inheritMembers()
	seen := map[string]bool{}
	for _, dp := range decl.Properties {
		if err := d.property(dp, seen); err != nil {
			return nil, err
		}
	}
	seen = map[string]bool{}
	for _, dm := range decl.Methods {
		if err := d.method(dm, seen); err != nil {
			return nil, err
		}
	}
	return d.c, nil
}

// deriver completes one class declaration against its superclass.
type deriver struct {
	parent, decl  *Class
	c             *Class // the complete class being built
	parentHasKeys bool
}

// header checks the class's name and superclass and gives the class its
// ancestry and qualifiers.
func (d *deriver) header() error {
	parent, decl := d.parent, d.decl
	if err := checkName(decl.Name, WBEM_E_CLASS_NAME_TOO_WIDE, "class"); err != nil {
		return err
	}
	c := &Class{Name: decl.Name, Server: decl.Server, Namespace: decl.Namespace}
	d.c = c
	var parentQuals Qualifiers
	if parent != nil {
		if decl.Superclass != "" && !EqualFold(decl.Superclass, parent.Name) {
			return Errorf(WBEM_E_INVALID_SUPERCLASS, "class %s names superclass %s but was derived from %s", decl.Name, decl.Superclass, parent.Name)
		}
		c.Superclass = parent.Name
		c.Derivation = append([]string{parent.Name}, parent.Derivation...)
		parentQuals = parent.Qualifiers
		for _, a := range c.Derivation {
			if EqualFold(a, decl.Name) {
				return Errorf(WBEM_E_CIRCULAR_REFERENCE, "class %s derives from itself", decl.Name)
			}
		}
	} else if decl.Superclass != "" {
		return Errorf(WBEM_E_INVALID_SUPERCLASS, "superclass %s of class %s is not defined", decl.Superclass, decl.Name)
	}
	var err *Error
	if c.Qualifiers, err = inherit(parentQuals, withFlavors(decl.Qualifiers)); err != nil {
		err.Description = "class " + decl.Name + ": " + err.Description
		return err
	}
	return nil
}

// inheritMembers starts the class with the superclass's properties and
// methods, their qualifiers propagated by flavor.
func (d *deriver) inheritMembers() {
	if d.parent == nil {
		return
	}
	c := d.c
	c.Properties = make([]Property, 0, len(d.parent.Properties)+len(d.decl.Properties))
	for _, p := range d.parent.Properties {
		p.Qualifiers, _ = inherit(p.Qualifiers, nil)
		c.Properties = append(c.Properties, p)
		if p.IsKey() {
			d.parentHasKeys = true
		}
	}
	for _, m := range d.parent.Methods {
		m.Qualifiers, _ = inherit(m.Qualifiers, nil)
		c.Methods = append(c.Methods, m)
	}
}

// property adds a declared property, or overrides the inherited one of its
// name; seen holds the names declared so far.
func (d *deriver) property(dp Property, seen map[string]bool) error {
	decl, c := d.decl, d.c
	if err := checkName(dp.Name, WBEM_E_PROPERTY_NAME_TOO_WIDE, "property"); err != nil {
		return err
	}
	low := strings.ToLower(dp.Name)
	if seen[low] {
		return Errorf(WBEM_E_INVALID_PROPERTY, "class %s declares property %s twice", decl.Name, dp.Name)
	}
	seen[low] = true
	if !dp.Type.Valid() {
		return Errorf(WBEM_E_INVALID_PROPERTY_TYPE, "property %s.%s has invalid type %d", decl.Name, dp.Name, dp.Type)
	}
	idx := -1
	for i := range c.Properties {
		if EqualFold(c.Properties[i].Name, dp.Name) {
			idx = i
			break
		}
	}
	var np Property
	var err error
	if idx >= 0 {
		np, err = d.override(dp, d.parent.Properties[idx])
	} else {
		np, err = d.newProperty(dp)
	}
	if err != nil {
		return err
	}
	if np.IsKey() {
		t := np.Type
		if t.IsArray() || t.IsReal() || t == TypeObject {
			return Errorf(WBEM_E_CANNOT_BE_KEY, "property %s.%s of type %s cannot be a key", decl.Name, dp.Name, t)
		}
	}
	if !np.Default.IsNull() {
		v, err := np.Default.Convert(np.Type)
		if err != nil {
			return Errorf(WBEM_E_TYPE_MISMATCH, "default of %s.%s: %s", decl.Name, dp.Name, AsError(err).Description)
		}
		np.Default = v
	}
	if idx >= 0 {
		c.Properties[idx] = np
	} else {
		c.Properties = append(c.Properties, np)
	}
	return nil
}

// override is the declared property dp over the inherited one inh: the same
// type, qualifiers propagated, the inherited name, origin and (unless dp
// sets them) default and reference class.
func (d *deriver) override(dp, inh Property) (Property, error) {
	decl := d.decl
	if inh.Type != dp.Type {
		return dp, Errorf(WBEM_E_UPDATE_TYPE_MISMATCH, "property %s.%s is %s in %s but %s in %s", decl.Name, dp.Name, inh.Type, inh.Origin, dp.Type, decl.Name)
	}
	own := withFlavors(dp.Qualifiers)
	q, err := inherit(inh.Qualifiers, own)
	if err != nil {
		err.Description = "property " + decl.Name + "." + dp.Name + ": " + err.Description
		return dp, err
	}
	if own.Has("Key") && !inh.IsKey() && d.parentHasKeys {
		return dp, Errorf(WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "property %s.%s cannot become a key: %s already has keys", decl.Name, dp.Name, d.parent.Name)
	}
	np := dp
	np.Qualifiers = q
	np.Origin = inh.Origin
	np.Name = inh.Name
	if np.Default.IsNull() {
		np.Default = inh.Default
	}
	if np.RefClass == "" {
		np.RefClass = inh.RefClass
	}
	return np, nil
}

// newProperty is a property the class declares first; it may be a key
// only where keys may start.
func (d *deriver) newProperty(dp Property) (Property, error) {
	decl, parent := d.decl, d.parent
	np := dp
	np.Qualifiers = withFlavors(dp.Qualifiers)
	np.Origin = decl.Name
	if !np.Qualifiers.Has("Key") {
		return np, nil
	}
	if d.parentHasKeys {
		return np, Errorf(WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "class %s cannot add key %s: %s already defines keys", decl.Name, dp.Name, parent.Name)
	}
	// Keys start below a keyless abstract class (or at the top): instances
	// of a concrete keyless class exist without them.
	if parent != nil && !parent.IsAbstract() && !parent.IsSingleton() {
		return np, Errorf(WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE, "class %s cannot add key %s: its superclass %s is concrete and has no keys", decl.Name, dp.Name, parent.Name)
	}
	return np, nil
}

// method adds a declared method, or overrides the inherited one of its
// name (its qualifiers propagate, its origin stays); seen holds the names
// declared so far.
func (d *deriver) method(dm Method, seen map[string]bool) error {
	decl, c := d.decl, d.c
	if err := checkName(dm.Name, WBEM_E_METHOD_NAME_TOO_WIDE, "method"); err != nil {
		return err
	}
	low := strings.ToLower(dm.Name)
	if seen[low] {
		return Errorf(WBEM_E_INVALID_METHOD, "class %s declares method %s twice", decl.Name, dm.Name)
	}
	seen[low] = true
	nm := dm
	nm.Qualifiers = withFlavors(dm.Qualifiers)
	nm.Params = make([]Parameter, len(dm.Params))
	for i, p := range dm.Params {
		p.Qualifiers = withFlavors(p.Qualifiers)
		nm.Params[i] = p
	}
	nm.Origin = decl.Name
	for i := range c.Methods {
		if EqualFold(c.Methods[i].Name, dm.Name) {
			q, err := inherit(c.Methods[i].Qualifiers, nm.Qualifiers)
			if err != nil {
				err.Description = "method " + decl.Name + "." + dm.Name + ": " + err.Description
				return err
			}
			nm.Qualifiers = q
			nm.Origin = c.Methods[i].Origin
			c.Methods[i] = nm
			return nil
		}
	}
	c.Methods = append(c.Methods, nm)
	return nil
}

func checkName(name string, tooWide Status, what string) error {
	if name == "" {
		return Errorf(WBEM_E_INVALID_PARAMETER, "a %s needs a name", what)
	}
	if len(name) > MaxNameLength {
		return Errorf(tooWide, "%s name %.32s… is longer than %d characters", what, name, MaxNameLength)
	}
	for i, r := range name {
		ok := r == '_' || r >= 0x80 || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9'
		if !ok {
			return Errorf(WBEM_E_INVALID_PARAMETER, "%s name %q has an invalid character %q at position %d", what, name, r, i+1)
		}
	}
	return nil
}
