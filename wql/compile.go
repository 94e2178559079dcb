package wql

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// Schema resolves class names for compilation: the FROM class when the caller
// does not pass it, and the classes named by ISA. A lookup of a class that does
// not exist returns an error (any error: the compiler reports
// WBEM_E_INVALID_CLASS naming the class).
type Schema interface {
	Class(name string) (*cim.Class, error)
}

// SchemaFunc adapts a function to Schema.
type SchemaFunc func(name string) (*cim.Class, error)

// Class calls f.
func (f SchemaFunc) Class(name string) (*cim.Class, error) { return f(name) }

// Option adjusts compilation.
type Option func(*options)

type options struct {
	keepKeys bool
}

// EnsureLocatable makes projections keep the key properties, so results have
// __PATH and __RELPATH (WBEM_FLAG_ENSURE_LOCATABLE).
func EnsureLocatable() Option { return func(o *options) { o.keepKeys = true } }

type pred func(*cim.Instance) bool

// plan is the compiled form of a query for instances of one class.
type plan struct {
	class *cim.Class
	match pred // nil: every instance
	proj  *cim.Class
}

// Filter is a compiled data query: the WHERE clause as a predicate over
// instances and the SELECT list as a projection. A Filter is safe for
// concurrent use.
type Filter struct {
	query  *SelectQuery
	class  *cim.Class
	opts   options
	names  []string // top-level properties of the SELECT list; nil for *
	system []string // the system properties the SELECT list names
	main   plan
	eq     map[string][]cim.Value
	mu     sync.Mutex
	others map[*cim.Class]*plan // subclasses and other layouts, built on first use
}

// maxCachedPlans bounds the plans kept for classes other than the FROM class.
const maxCachedPlans = 256

// Compile compiles a data query for instances of class (the FROM class or,
// when class is nil, the class that schema returns for q.Class). It checks the
// query against the class:
//
//   - an unknown FROM class gives WBEM_E_INVALID_CLASS;
//   - an event clause (WITHIN, GROUP WITHIN) gives WBEM_E_INVALID_QUERY;
//   - an unknown property, in the SELECT list or the WHERE clause, gives
//     WBEM_E_INVALID_QUERY naming it;
//   - a dot after a property that is not an object gives
//     WBEM_E_PROPERTY_NOT_AN_OBJECT;
//   - an operator that does not fit the property's type (an ordering of
//     booleans, references or objects, LIKE on a number, ISA on anything but an
//     object or __THIS, any comparison of an array) gives
//     WBEM_E_INVALID_OPERATOR;
//   - a constant that does not convert to the property's type gives
//     WBEM_E_INVALID_QUERY;
//   - an ISA class that schema does not know gives WBEM_E_INVALID_CLASS.
//
// schema may be nil when class is given; ISA classes are then not checked.
func Compile(q *SelectQuery, class *cim.Class, schema Schema, opts ...Option) (*Filter, error) {
	if q.Within > 0 || q.GroupWithin > 0 || len(q.By) > 0 || q.Having != nil {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_QUERY, "WITHIN, GROUP WITHIN, BY and HAVING are only valid in event queries")
	}
	return compile(q, class, schema, opts)
}

func compile(q *SelectQuery, class *cim.Class, schema Schema, opts []Option) (*Filter, error) {
	if class == nil {
		c, err := lookupClass(schema, q.Class)
		if err != nil {
			return nil, err
		}
		class = c
	}
	f := &Filter{query: q, class: class}
	for _, o := range opts {
		o(&f.opts)
	}
	if !q.All {
		f.names = []string{}
		seen := map[string]bool{}
		for _, p := range q.Props {
			if _, err := resolve(class, p, false); err != nil {
				return nil, err
			}
			if low := strings.ToLower(p.Path[0]); !seen[low] {
				seen[low] = true
				if cim.IsSystemProperty(p.Path[0]) {
					// Returned with every object; naming one makes the
					// projection return it even where it would report
					// NULL, and __PATH or __RELPATH keeps the keys.
					f.system = append(f.system, p.Path[0])
					continue
				}
				f.names = append(f.names, p.Path[0])
			}
		}
	}
	c := compiler{schema: schema}
	pl, err := c.plan(f, class)
	if err != nil {
		return nil, err
	}
	f.main = *pl
	if q.Where != nil {
		f.eq = equalities(q.Where, class)
	}
	return f, nil
}

func lookupClass(schema Schema, name string) (*cim.Class, error) {
	if schema == nil {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_CLASS, "class %s is not known (no schema to look it up)", name)
	}
	c, err := schema.Class(name)
	if err != nil || c == nil {
		e := &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Description: "class " + name + " does not exist", Parameter: name, Err: err}
		return nil, e
	}
	return c, nil
}

// Query returns the compiled query.
func (f *Filter) Query() *SelectQuery { return f.query }

// Class returns the FROM class.
func (f *Filter) Class() *cim.Class { return f.class }

// Properties returns the properties of the SELECT list (system properties and
// embedded-object members left out, an embedded member counted as its object),
// or nil for SELECT *.
func (f *Filter) Properties() []string { return f.names }

// Needed returns what a provider must fill in for the query: the SELECT list
// (as Properties) and every other property the WHERE clause reads, the
// first name of an embedded member's path, system properties left out; nil
// for SELECT *, which needs everything.
func (f *Filter) Needed() []string {
	if f.names == nil {
		return nil
	}
	out := append([]string(nil), f.names...)
	add := func(p Prop) {
		name := p.Path[0]
		if cim.IsSystemProperty(name) {
			return
		}
		for _, s := range out {
			if cim.EqualFold(s, name) {
				return
			}
		}
		out = append(out, name)
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *Logical:
			for _, x := range e.Operands {
				walk(x)
			}
		case *Not:
			walk(e.X)
		case *Comparison:
			add(e.Prop)
		case *IsNull:
			add(e.Prop)
		case *Isa:
			add(e.Prop)
		case *Like:
			add(e.Prop)
		}
	}
	if f.query.Where != nil {
		walk(f.query.Where)
	}
	return out
}

// Projection returns the class of the results for instances of the FROM class,
// or nil for SELECT *.
func (f *Filter) Projection() *cim.Class { return f.main.proj }

// Match reports whether inst satisfies the WHERE clause. inst may be of the FROM
// class or of any subclass; instances of other classes are matched by property
// name. Match does not allocate for instances of the FROM class.
func (f *Filter) Match(inst *cim.Instance) bool {
	pl := &f.main
	if c := inst.Class(); c != f.class {
		pl = f.planFor(c)
	}
	return pl.match == nil || pl.match(inst)
}

// Project returns inst shaped by the SELECT list (inst itself for SELECT *).
// A subclass instance keeps its own class name.
func (f *Filter) Project(inst *cim.Instance) *cim.Instance {
	if f.names == nil {
		return inst
	}
	pl := &f.main
	if c := inst.Class(); c != f.class {
		pl = f.planFor(c)
	}
	return inst.Project(pl.proj)
}

func (f *Filter) planFor(c *cim.Class) *plan {
	f.mu.Lock()
	pl, ok := f.others[c]
	f.mu.Unlock()
	if ok {
		return pl
	}
	cc := compiler{lenient: true}
	pl, err := cc.plan(f, c)
	if err != nil { // cannot happen in lenient mode; never match then
		pl = &plan{class: c, match: func(*cim.Instance) bool { return false }, proj: c.Project(nil, false)}
	}
	f.mu.Lock()
	if f.others == nil {
		f.others = map[*cim.Class]*plan{}
	}
	if len(f.others) < maxCachedPlans {
		f.others[c] = pl
	}
	f.mu.Unlock()
	return pl
}

type compiler struct {
	schema  Schema
	lenient bool // unknown properties read as NULL instead of failing
}

func (c *compiler) plan(f *Filter, class *cim.Class) (*plan, error) {
	pl := &plan{class: class}
	if f.query.Where != nil {
		m, err := c.expr(f.query.Where, class)
		if err != nil {
			return nil, err
		}
		pl.match = m
	}
	if f.names != nil {
		pl.proj = class.Project(append(f.names[:len(f.names):len(f.names)], f.system...), f.opts.keepKeys)
	}
	return pl, nil
}

// resolved is what a property reference names in a class.
type resolved struct {
	idx    int      // top-level property position, or -1
	typ    cim.Type // its type (TypeEmpty when unknown: a system property or a path)
	system string   // upper-case system property name
	this   bool     // __THIS
	path   []string // embedded path after the first name, with names ready for Get
	null   bool     // lenient: the class has no such property
	bad    bool     // lenient: a dotted path through a missing property
}

func queryErr(st cim.Status, p Prop, format string, args ...any) *cim.Error {
	e := cim.Errorf(st, format, args...)
	if p.Pos > 0 {
		e.Description = "position " + itoa(p.Pos) + ": " + e.Description
	}
	e.Parameter = p.Name()
	return e
}

// resolve finds a property reference in class.
func resolve(class *cim.Class, p Prop, lenient bool) (resolved, error) {
	first := p.Path[0]
	r := resolved{idx: -1}
	if cim.IsSystemProperty(first) {
		up := strings.ToUpper(first)
		switch {
		case up == "__THIS":
			r.this = true
		case slices.Contains(cim.SystemProperties, up):
			r.system = up
		default:
			return r, queryErr(cim.WBEM_E_INVALID_QUERY, p, "%s is not a system property", first)
		}
		if len(p.Path) > 1 {
			return r, queryErr(cim.WBEM_E_PROPERTY_NOT_AN_OBJECT, p, "system property %s is not an object", first)
		}
		return r, nil
	}
	r.idx = class.PropertyIndex(strings.ToLower(first))
	if r.idx < 0 {
		if lenient {
			r.null = true
			r.bad = len(p.Path) > 1
			return r, nil
		}
		return r, queryErr(cim.WBEM_E_INVALID_QUERY, p, "class %s has no property %s", class.Name, first)
	}
	r.typ = class.Properties[r.idx].Type
	if len(p.Path) > 1 {
		if r.typ != cim.TypeObject {
			return r, queryErr(cim.WBEM_E_PROPERTY_NOT_AN_OBJECT, p, "property %s is of type %s, not an object: %s cannot be used", first, r.typ, p.Name())
		}
		for _, n := range p.Path[1:] {
			if cim.IsSystemProperty(n) {
				r.path = append(r.path, strings.ToUpper(n))
			} else {
				r.path = append(r.path, strings.ToLower(n))
			}
		}
	}
	return r, nil
}

// getter returns the value a resolved property has in an instance; ok is false
// for an embedded path that does not lead anywhere.
func (r resolved) getter() func(*cim.Instance) (cim.Value, bool) {
	switch {
	case r.null:
		ok := !r.bad
		return func(*cim.Instance) (cim.Value, bool) { return cim.Null, ok }
	case r.this:
		return func(inst *cim.Instance) (cim.Value, bool) { return cim.Embedded(inst), true }
	case r.system == "__CLASS":
		return func(inst *cim.Instance) (cim.Value, bool) { return cim.String(inst.ClassName()), true }
	case r.system != "":
		name := r.system
		return func(inst *cim.Instance) (cim.Value, bool) { v, _ := inst.System(name); return v, true }
	case r.path == nil:
		idx := r.idx
		return func(inst *cim.Instance) (cim.Value, bool) { return inst.At(idx), true }
	}
	idx, path := r.idx, r.path
	return func(inst *cim.Instance) (cim.Value, bool) {
		v := inst.At(idx)
		for _, n := range path {
			o := v.Object()
			if o == nil {
				return cim.Null, false
			}
			var err error
			if v, err = o.Get(n); err != nil {
				return cim.Null, false
			}
		}
		return v, true
	}
}

// dynamic reports whether the type of the value is only known at match time.
func (r resolved) dynamic() bool { return r.typ == cim.TypeEmpty || r.path != nil }

func (c *compiler) expr(e Expr, class *cim.Class) (pred, error) {
	switch e := e.(type) {
	case *Logical:
		ps := make([]pred, len(e.Operands))
		for i, x := range e.Operands {
			p, err := c.expr(x, class)
			if err != nil {
				return nil, err
			}
			ps[i] = p
		}
		if e.Op == And {
			return andOf(ps), nil
		}
		return orOf(ps), nil
	case *Not:
		p, err := c.expr(e.X, class)
		if err != nil {
			return nil, err
		}
		return func(inst *cim.Instance) bool { return !p(inst) }, nil
	case *Comparison:
		return c.comparison(e, class)
	case *IsNull:
		r, err := resolve(class, e.Prop, c.lenient)
		if err != nil {
			return nil, err
		}
		want := !e.Not
		if r.path == nil && r.idx >= 0 {
			idx := r.idx
			return func(inst *cim.Instance) bool { return inst.At(idx).IsNull() == want }, nil
		}
		get := r.getter()
		return func(inst *cim.Instance) bool {
			v, ok := get(inst)
			return ok && v.IsNull() == want
		}, nil
	case *Isa:
		r, err := resolve(class, e.Prop, c.lenient)
		if err != nil {
			return nil, err
		}
		if !r.this && !r.dynamic() && r.typ != cim.TypeObject && !r.null {
			return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "ISA needs an object property or __THIS; %s is of type %s", e.Prop.Name(), r.typ)
		}
		if r.system != "" {
			return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "ISA needs an object property or __THIS; %s is not one", e.Prop.Name())
		}
		if c.schema != nil {
			if _, err := lookupClass(c.schema, e.Class); err != nil {
				return nil, err
			}
		}
		name := e.Class
		if r.this {
			return func(inst *cim.Instance) bool { return inst.Class().IsA(name) }, nil
		}
		get := r.getter()
		return func(inst *cim.Instance) bool {
			v, ok := get(inst)
			return ok && objectIsA(v.Object(), name)
		}, nil
	case *Like:
		r, err := resolve(class, e.Prop, c.lenient)
		if err != nil {
			return nil, err
		}
		if !r.dynamic() && !r.null && !isText(r.typ) {
			return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "LIKE needs a string property; %s is of type %s", e.Prop.Name(), r.typ)
		}
		if r.this {
			return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "LIKE cannot apply to __THIS")
		}
		pat, err := compileLike(e.Pattern)
		if err != nil {
			ce := cim.AsError(err)
			return nil, queryErr(ce.Status, e.Prop, "%s", ce.Description)
		}
		if r.path == nil && r.idx >= 0 {
			idx := r.idx
			return func(inst *cim.Instance) bool {
				v := inst.At(idx)
				return !v.IsNull() && pat.Match(v.Str())
			}, nil
		}
		get := r.getter()
		return func(inst *cim.Instance) bool {
			v, ok := get(inst)
			return ok && isText(v.Type()) && pat.Match(v.Str())
		}, nil
	}
	return nil, cim.Errorf(cim.WBEM_E_INVALID_QUERY, "unsupported expression %T", e)
}

func isText(t cim.Type) bool {
	return t == cim.TypeString || t == cim.TypeDatetime || t == cim.TypeReference
}

func objectIsA(o cim.Object, name string) bool {
	switch o := o.(type) {
	case *cim.Instance:
		return o.Class().IsA(name)
	case *cim.Class:
		return o.IsA(name)
	}
	return false
}

func andOf(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(i *cim.Instance) bool { return a(i) && b(i) }
	case 3:
		a, b, c := ps[0], ps[1], ps[2]
		return func(i *cim.Instance) bool { return a(i) && b(i) && c(i) }
	}
	return func(i *cim.Instance) bool {
		for _, p := range ps {
			if !p(i) {
				return false
			}
		}
		return true
	}
}

func orOf(ps []pred) pred {
	switch len(ps) {
	case 1:
		return ps[0]
	case 2:
		a, b := ps[0], ps[1]
		return func(i *cim.Instance) bool { return a(i) || b(i) }
	}
	return func(i *cim.Instance) bool {
		for _, p := range ps {
			if p(i) {
				return true
			}
		}
		return false
	}
}

// opMask maps a three-way comparison result c (-1, 0, 1) to the operator's
// answer: bit c+1 is set when the operator holds. unordered (2) never holds.
type opMask uint8

const unordered = 2

func maskOf(op CompareOp) opMask {
	switch op {
	case Equal:
		return 0b010
	case NotEqual:
		return 0b101
	case Less:
		return 0b001
	case Greater:
		return 0b100
	case LessEqual:
		return 0b011
	case GreaterEqual:
		return 0b110
	}
	return 0
}

func (m opMask) holds(c int) bool { return m>>uint(c+1)&1 != 0 }

func cmp3[T int64 | uint64 | int32](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return unordered
}

// number is a numeric constant.
type number struct {
	kind ConstKind // ConstInt, ConstUint or ConstReal
	i    int64
	u    uint64
	f    float64
}

func (n number) float() float64 {
	switch n.kind {
	case ConstInt:
		return float64(n.i)
	case ConstUint:
		return float64(n.u)
	}
	return n.f
}

// numberOf converts a constant to a number; strings are parsed.
func numberOf(k Const) (number, bool) {
	switch k.Kind {
	case ConstInt:
		return number{kind: ConstInt, i: k.Int}, true
	case ConstUint:
		return number{kind: ConstUint, u: k.Uint}, true
	case ConstReal:
		return number{kind: ConstReal, f: k.Real}, true
	case ConstString:
		// A string constant holds a number the way the query would write it.
		var sc scanner
		sc.src = strings.TrimSpace(k.Str)
		t, err := sc.next(false)
		if err != nil || t.kind != tNumber || sc.off != len(sc.src) {
			return number{}, false
		}
		c, ok := numberConst(t.text)
		if !ok {
			return number{}, false
		}
		return numberOf(c)
	}
	return number{}, false
}

// compareNumber orders a numeric value against a numeric constant.
func compareNumber(v cim.Value, n number) int {
	t := v.Type()
	switch {
	case t.IsSigned():
		a := v.Int()
		switch n.kind {
		case ConstInt:
			return cmp3(a, n.i)
		case ConstUint:
			return -1
		}
		return cmpIntFloat(a, n.f)
	case t.IsUnsigned() || t == cim.TypeBoolean || t == cim.TypeChar16:
		a := v.Uint()
		if t == cim.TypeChar16 {
			a = uint64(v.Char())
		}
		switch n.kind {
		case ConstInt:
			if n.i < 0 {
				return 1
			}
			return cmp3(a, uint64(n.i))
		case ConstUint:
			return cmp3(a, n.u)
		}
		if n.f < 0 {
			return 1
		}
		return cmpFloat(float64(a), n.f)
	case t.IsReal():
		return cmpFloat(v.Float(), n.float())
	}
	return unordered
}

func cmpIntFloat(a int64, f float64) int {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return cmp3(a, int64(f))
	}
	return cmpFloat(float64(a), f)
}

// textOf converts a constant to the text a string property compares with.
func textOf(k Const) (string, bool) {
	switch k.Kind {
	case ConstString:
		return k.Str, true
	case ConstInt:
		return strconv.FormatInt(k.Int, 10), true
	case ConstUint:
		return strconv.FormatUint(k.Uint, 10), true
	case ConstReal:
		return strconv.FormatFloat(k.Real, 'g', -1, 64), true
	}
	return "", false
}

// truthOf converts a constant to a boolean: TRUE/FALSE, a number (non-zero is
// true: WMI's TRUE is -1 in some places and 1 in others), "true"/"false".
func truthOf(k Const) (bool, bool) {
	switch k.Kind {
	case ConstBool:
		return k.Bool, true
	case ConstInt:
		return k.Int != 0, true
	case ConstUint:
		return k.Uint != 0, true
	case ConstString:
		switch strings.ToLower(strings.TrimSpace(k.Str)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// comparison compiles Prop op constant: a predicate typed by the
// property's type, or one that converts per instance for system and
// embedded properties.
func (c *compiler) comparison(e *Comparison, class *cim.Class) (pred, error) {
	r, err := resolve(class, e.Prop, c.lenient)
	if err != nil {
		return nil, err
	}
	m := maskOf(e.Op)
	if r.null {
		return func(*cim.Instance) bool { return false }, nil
	}
	if r.this {
		return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "__THIS can only be used with ISA")
	}
	if r.dynamic() {
		if r.system == "__CLASS" && e.Op == Equal && e.Value.Kind == ConstString {
			// The exact class: subclasses have their own __CLASS.
			name := e.Value.Str
			return func(inst *cim.Instance) bool { return cim.EqualFold(inst.ClassName(), name) }, nil
		}
		get := r.getter()
		d := newDynConst(e.Value)
		return func(inst *cim.Instance) bool {
			v, ok := get(inst)
			return ok && d.holds(v, m)
		}, nil
	}
	k := typedComparison{e: e, idx: r.idx, t: r.typ, m: m}
	t := r.typ
	switch {
	case t.IsArray():
		return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "array property %s cannot be compared", e.Prop.Name())
	case t == cim.TypeObject:
		return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, e.Prop, "object property %s can only be used with ISA, IS NULL or a dotted member", e.Prop.Name())
	case t == cim.TypeBoolean:
		return k.boolean()
	case t.IsInteger() || t.IsReal():
		return k.number()
	case t == cim.TypeChar16:
		return k.char16()
	case t == cim.TypeString:
		return k.string()
	case t == cim.TypeReference:
		return k.reference()
	case t == cim.TypeDatetime:
		return k.datetime()
	}
	return k.badOp()
}

// typedComparison compiles a comparison of the property at idx, of type t,
// with the constant of e, under the operators of m.
type typedComparison struct {
	e   *Comparison
	idx int
	t   cim.Type
	m   opMask
}

// bad refuses a constant that does not convert to the property's type.
func (k typedComparison) bad(what string) (pred, error) {
	return nil, queryErr(cim.WBEM_E_INVALID_QUERY, k.e.Prop, "constant %s does not convert to %s, the type of %s%s", k.e.Value, k.t, k.e.Prop.Name(), what)
}

// badOp refuses an operator the property's type does not take.
func (k typedComparison) badOp() (pred, error) {
	return nil, queryErr(cim.WBEM_E_INVALID_OPERATOR, k.e.Prop, "operator %s is not valid for %s, of type %s", k.e.Op, k.e.Prop.Name(), k.t)
}

func (k typedComparison) eqOnly() bool { return k.e.Op == Equal || k.e.Op == NotEqual }

func (k typedComparison) boolean() (pred, error) {
	if !k.eqOnly() {
		return k.badOp()
	}
	want, ok := truthOf(k.e.Value)
	if !ok {
		return k.bad("")
	}
	if k.e.Op == NotEqual {
		want = !want
	}
	idx := k.idx
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && v.Bool() == want
	}, nil
}

// number compares integers as integers when the constant fits the
// property's signedness, and as numbers otherwise.
func (k typedComparison) number() (pred, error) {
	n, ok := numberOf(k.e.Value)
	if !ok {
		return k.bad("")
	}
	idx, m := k.idx, k.m
	switch {
	case k.t.IsSigned() && n.kind == ConstInt:
		c := n.i
		return func(inst *cim.Instance) bool {
			v := inst.At(idx)
			return !v.IsNull() && m.holds(cmp3(v.Int(), c))
		}, nil
	case k.t.IsUnsigned() && n.kind == ConstInt && n.i >= 0:
		c := uint64(n.i)
		return func(inst *cim.Instance) bool {
			v := inst.At(idx)
			return !v.IsNull() && m.holds(cmp3(v.Uint(), c))
		}, nil
	}
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && m.holds(compareNumber(v, n))
	}, nil
}

// char16 compares one character, case-insensitively; the constant is a
// one-character string or its code.
func (k typedComparison) char16() (pred, error) {
	var c uint64
	switch val := k.e.Value; {
	case val.Kind == ConstString && len([]rune(val.Str)) == 1:
		c = uint64(lower([]rune(val.Str)[0]))
	case val.Kind == ConstInt && val.Int >= 0 && val.Int <= 0xFFFF:
		c = uint64(lower(rune(val.Int)))
	default:
		return k.bad("")
	}
	idx, m := k.idx, k.m
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && m.holds(cmp3(uint64(lower(v.Char())), c))
	}, nil
}

// string compares text case-insensitively, as WMI does.
func (k typedComparison) string() (pred, error) {
	s, ok := textOf(k.e.Value)
	if !ok {
		return k.bad("")
	}
	idx, m := k.idx, k.m
	if k.eqOnly() {
		want := k.e.Op == Equal
		return func(inst *cim.Instance) bool {
			v := inst.At(idx)
			return !v.IsNull() && equalFold(v.Str(), s) == want
		}, nil
	}
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && m.holds(cim.CompareFold(v.Str(), s))
	}, nil
}

// reference compares a path's text; only = and <> apply.
func (k typedComparison) reference() (pred, error) {
	if !k.eqOnly() {
		return k.badOp()
	}
	if k.e.Value.Kind != ConstString {
		return k.bad("")
	}
	s, idx, m := k.e.Value.Str, k.idx, k.m
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && m.holds(cim.CompareFold(v.Str(), s))
	}, nil
}

// datetime compares instants, the constant in DMTF's form or ISO's.
func (k typedComparison) datetime() (pred, error) {
	if k.e.Value.Kind != ConstString {
		return k.bad("")
	}
	c, ok := parseDatetimeConst(k.e.Value.Str)
	if !ok {
		return k.bad(" (a datetime is written yyyymmddHHMMSS.mmmmmmsUUU or yyyy-mm-dd[ HH:MM:SS])")
	}
	raw, idx, m := k.e.Value.Str, k.idx, k.m
	return func(inst *cim.Instance) bool {
		v := inst.At(idx)
		return !v.IsNull() && m.holds(compareDatetime(v.Str(), c, raw))
	}, nil
}

// equalFold is cim.EqualFold with a fast path for ASCII text.
func equalFold(a, b string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca|cb >= 0x80 {
			return cim.EqualFold(a[i:], b[i:])
		}
		if ca != cb {
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				return false
			}
		}
	}
	return len(a) == len(b)
}

// compareDatetime orders a datetime value against a constant: as instants when
// both are timestamps or both intervals, else as text.
func compareDatetime(s string, k instant, raw string) int {
	in, ok := parseDMTF(s)
	if !ok || in.interval != k.interval {
		return cim.CompareFold(s, raw)
	}
	return in.compare(k)
}

// dynConst is a constant prepared for a comparison whose value type is only
// known at match time (system properties, embedded members).
type dynConst struct {
	c             Const
	num           number
	numOK         bool
	truth, trueOK bool
	text          string
	textOK        bool
	dt            instant
	dtOK          bool
}

func newDynConst(k Const) *dynConst {
	d := &dynConst{c: k}
	d.num, d.numOK = numberOf(k)
	d.truth, d.trueOK = truthOf(k)
	d.text, d.textOK = textOf(k)
	if k.Kind == ConstString {
		d.dt, d.dtOK = parseDatetimeConst(k.Str)
	}
	return d
}

func (d *dynConst) holds(v cim.Value, m opMask) bool {
	t := v.Type()
	switch {
	case v.IsNull() || t.IsArray():
		return false
	case t == cim.TypeBoolean:
		if !d.trueOK || m != maskOf(Equal) && m != maskOf(NotEqual) {
			return false
		}
		if v.Bool() == d.truth {
			return m.holds(0)
		}
		return m.holds(1)
	case t.IsInteger() || t.IsReal():
		return d.numOK && m.holds(compareNumber(v, d.num))
	case t == cim.TypeChar16:
		if d.c.Kind == ConstString {
			return m.holds(cim.CompareFold(string(v.Char()), d.c.Str))
		}
		return d.numOK && m.holds(compareNumber(v, d.num))
	case t == cim.TypeDatetime:
		if !d.textOK {
			return false
		}
		if d.dtOK {
			return m.holds(compareDatetime(v.Str(), d.dt, d.text))
		}
		return m.holds(cim.CompareFold(v.Str(), d.text))
	case t == cim.TypeString || t == cim.TypeReference:
		return d.textOK && m.holds(cim.CompareFold(v.Str(), d.text))
	}
	return false
}
