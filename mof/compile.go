package mof

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// Schema gives the compiler the classes that already exist, so that a MOF can
// derive from them and create instances of them. Class returns the complete
// class, or an error matching cim.ErrNotFound or cim.ErrInvalidClass (or nil,
// nil) when there is none; any other error stops the compile.
type Schema interface {
	Class(namespace, name string) (*cim.Class, error)
}

// Options tune a compile. The zero value compiles into cim.DefaultNamespace with no
// existing schema.
type Options struct {
	// Namespace is where declarations go until a #pragma namespace; default
	// cim.DefaultNamespace.
	Namespace string
	// Schema supplies existing classes; nil means none.
	Schema Schema
	// MaxIncludeDepth bounds #pragma include nesting; 0 means
	// DefaultMaxIncludeDepth.
	MaxIncludeDepth int
}

// Limits. Input beyond them is rejected with an error naming the place.
const (
	// DefaultMaxIncludeDepth is how deep #pragma include may nest.
	DefaultMaxIncludeDepth = 32
	// MaxNesting bounds embedded instances and arrays inside values.
	MaxNesting = 32
	// MaxArraySize is the largest fixed array size, as in prop[n].
	MaxArraySize = 1 << 20
	// MaxFileSize is the largest MOF file the compiler reads, in bytes.
	MaxFileSize = 256 << 20
)

// ArraySizeQualifier is the qualifier in which the compiler records the size
// of a fixed-size array (prop[4]), as WMI stores it; the printer turns it back
// into [4].
const ArraySizeQualifier = "MAX"

// Compile compiles the MOF file name in fsys, with the files it includes, into a
// plan. It reads only fsys and opts.Schema; a failed compile returns a nil plan
// and an error that is a *Error (or the context's error wrapped in a
// *cim.Error with WBEM_E_CALL_CANCELLED).
func Compile(ctx context.Context, fsys fs.FS, name string, opts Options) (*Plan, error) {
	c := newCompiler(ctx, fsys, opts)
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, newError(Position{File: name, Line: 1, Column: 1}, name, cim.WBEMMOF_E_INVALID_FILE, "cannot read MOF file: %v", err)
	}
	return c.run(name, b)
}

// CompileString compiles MOF text; name is the file name used in positions.
// #pragma include is an error, as there is no file system to read.
func CompileString(name, src string, opts Options) (*Plan, error) {
	c := newCompiler(context.Background(), nil, opts)
	return c.run(name, []byte(src))
}

func (c *compiler) run(name string, b []byte) (*Plan, error) {
	if len(b) > MaxFileSize {
		return nil, newError(Position{File: name, Line: 1, Column: 1}, name, cim.WBEMMOF_E_INVALID_FILE, "file is larger than %d bytes", MaxFileSize)
	}
	if err := c.parse(name, b, 0); err != nil {
		return nil, c.fail(err)
	}
	if err := c.resolveAliases(); err != nil {
		return nil, c.fail(err)
	}
	if len(c.chunks) > 0 {
		n := len(c.plan.Items)
		for _, ch := range c.chunks {
			n += len(ch)
		}
		items := make([]Item, 0, n)
		for _, ch := range c.chunks {
			items = append(items, ch...)
		}
		c.plan.Items = append(items, c.plan.Items...)
		c.chunks = nil
	}
	return &c.plan, nil
}

// itemChunk is how many items the compiler gathers before it starts another
// array: a plan of 200,000 instances is not copied over and over as one
// slice grows, only once into the plan at the end.
const itemChunk = 4096

// add appends an item to the plan.
func (c *compiler) add(it Item) {
	if len(c.plan.Items) == itemChunk {
		c.chunks = append(c.chunks, c.plan.Items)
		c.plan.Items = make([]Item, 0, itemChunk)
	}
	c.plan.Items = append(c.plan.Items, it)
}

func (c *compiler) fail(err *Error) error {
	if c.cancelled != nil {
		return c.cancelled
	}
	return err
}

type compiler struct {
	ctx       context.Context
	fsys      fs.FS
	opts      Options
	ns        string
	nsKey     string
	classFl   Flags
	instFl    Flags
	quals     map[string]*QualifierType
	classes   map[string]*cim.Class
	plan      Plan
	chunks    [][]Item // full arrays of items before plan.Items (see add)
	aliases   map[string]*aliasTarget
	insts     []*instState
	stack     []string
	ticks     int
	cancelled error
}

type aliasTarget struct {
	tok   token
	inst  *instState
	class *cim.Class
	ns    string
}

// instState is an instance whose alias-valued properties wait for the end of
// the compile, when every alias is known.
type instState struct {
	inst      *cim.Instance
	ns        string
	deferred  []deferredProp
	done      bool
	resolving bool
}

type deferredProp struct {
	idx int
	lit literal
}

func newCompiler(ctx context.Context, fsys fs.FS, opts Options) *compiler {
	if opts.Namespace == "" {
		opts.Namespace = cim.DefaultNamespace
	}
	if opts.MaxIncludeDepth <= 0 {
		opts.MaxIncludeDepth = DefaultMaxIncludeDepth
	}
	c := &compiler{ctx: ctx, fsys: fsys, opts: opts,
		quals: map[string]*QualifierType{}, classes: map[string]*cim.Class{},
		aliases: map[string]*aliasTarget{}}
	c.setNamespace(opts.Namespace)
	return c
}

func (c *compiler) setNamespace(ns string) {
	c.ns = ns
	c.nsKey = strings.ToLower(ns) + ":"
}

// tick checks for cancellation now and then.
func (c *compiler) tick() *Error {
	c.ticks++
	if c.ticks&63 == 0 && c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			c.cancelled = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "MOF compile cancelled", Err: err}
			return newError(Position{}, "", cim.WBEM_E_CALL_CANCELLED, "cancelled")
		}
	}
	return nil
}

func (c *compiler) parse(name string, b []byte, depth int) *Error {
	c.stack = append(c.stack, name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	src := &source{name: name, text: decodeSource(b)}
	p := &parser{c: c, lx: newLexer(src)}
	p.depth = depth
	return p.parseFile()
}

func lowerKey(prefix, name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return prefix + strings.ToLower(name)
		}
	}
	return prefix + name
}

// lookupClass finds a class compiled so far or in the caller's schema.
func (c *compiler) lookupClass(t token) (*cim.Class, *Error) {
	if cl, ok := c.classes[lowerKey(c.nsKey, t.text)]; ok {
		return cl, nil
	}
	if c.opts.Schema == nil {
		return nil, nil
	}
	cl, err := c.opts.Schema.Class(c.ns, t.text)
	if err != nil {
		if errors.Is(err, cim.ErrNotFound) || errors.Is(err, cim.ErrInvalidClass) {
			return nil, nil
		}
		e := cim.AsError(err)
		return nil, errAt(t, e.Status, "looking up class %s: %s", t.text, e.Description)
	}
	return cl, nil
}

// pragma carries out a #pragma.
func (c *compiler) pragma(p *parser, start, name token, args []literal) *Error {
	strArg := func(i int, s cim.Status) (string, *Error) {
		if i >= len(args) || args[i].kind != litString {
			return "", errAt(name, s, "#pragma %s needs a string argument", name.text)
		}
		return args[i].s, nil
	}
	switch strings.ToLower(name.text) {
	case "include":
		file, err := strArg(0, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE)
		if err != nil {
			return err
		}
		return c.include(p, args[0].tok, file)
	case "namespace":
		arg, err := strArg(0, cim.WBEMMOF_E_INVALID_NAMESPACE_SYNTAX)
		if err != nil {
			return err
		}
		ns, ok := resolveNamespace(c.ns, arg)
		if !ok {
			return errAt(args[0].tok, cim.WBEMMOF_E_INVALID_NAMESPACE_SPECIFICATION, "invalid namespace %q", arg)
		}
		c.setNamespace(ns)
		return nil
	case "locale", "instancelocale", "amendment", "autorecover", "source", "nonlocal", "nonlocaltype":
		// Accepted and ignored: gowbem keeps no localized (amended) copies and
		// has no repository recovery list; remote targets are the caller's
		// business.
		return nil
	case "classflags", "instanceflags":
		var f Flags
		for _, a := range args {
			switch {
			case a.kind == litInt && !a.neg:
				f |= Flags(a.u)
			case a.kind == litString:
				switch strings.ToLower(a.s) {
				case "createonly":
					f |= FlagCreateOnly
				case "updateonly":
					f |= FlagUpdateOnly
				case "safeupdate":
					f |= FlagSafeUpdate
				case "forceupdate":
					f |= FlagForceUpdate
				default:
					return errAt(a.tok, cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, "unknown flag")
				}
			default:
				return errAt(a.tok, cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, "expected a flag name")
			}
		}
		if f&FlagCreateOnly != 0 && f&FlagUpdateOnly != 0 {
			return errAt(name, cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, "createonly and updateonly exclude each other")
		}
		if strings.EqualFold(name.text, "classflags") {
			c.classFl = f
		} else {
			c.instFl = f
		}
		return nil
	case "deleteclass", "deleteinstance":
		st := cim.WBEMMOF_E_INVALID_DELETECLASS_SYNTAX
		if strings.EqualFold(name.text, "deleteinstance") {
			st = cim.WBEMMOF_E_INVALID_DELETEINSTANCE_SYNTAX
		}
		target, err := strArg(0, st)
		if err != nil {
			return err
		}
		if len(args) != 2 || args[1].kind != litString {
			return errAt(name, st, "#pragma %s needs a name and FAIL or NOFAIL", name.text)
		}
		var must bool
		switch strings.ToUpper(args[1].s) {
		case "FAIL":
			must = true
		case "NOFAIL":
		default:
			return errAt(args[1].tok, st, "expected FAIL or NOFAIL")
		}
		it := Item{Pos: start.pos(), Namespace: c.ns, MustExist: must}
		if st == cim.WBEMMOF_E_INVALID_DELETECLASS_SYNTAX {
			if !validName(target) {
				return errAt(args[0].tok, st, "invalid class name %q", target)
			}
			it.DeleteClass = target
			delete(c.classes, lowerKey(c.nsKey, target))
		} else {
			if _, err := cim.ParsePath(target); err != nil {
				return errAt(args[0].tok, st, "invalid object path: %s", cim.AsError(err).Description)
			}
			it.DeleteInstance = target
		}
		c.add(it)
		return nil
	}
	return errAt(name, cim.WBEMMOF_E_INVALID_PRAGMA, "unknown #pragma %s", name.text)
}

func validName(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// resolveNamespace applies a #pragma namespace argument to the current
// namespace: \\server\ns (or //server/ns) and names whose first element is
// "root" are absolute; anything else is relative to the current namespace.
func resolveNamespace(cur, arg string) (string, bool) {
	if arg == "" {
		return "", false
	}
	s := strings.ReplaceAll(arg, "/", `\`)
	if strings.HasPrefix(s, `\\`) {
		i := strings.IndexByte(s[2:], '\\')
		if i <= 0 {
			return "", false
		}
		s = s[2+i+1:]
	} else if first, _, _ := strings.Cut(s, `\`); !strings.EqualFold(first, "root") {
		s = cur + `\` + s
	}
	s = strings.TrimSuffix(s, `\`)
	for _, seg := range strings.Split(s, `\`) {
		if !validName(seg) {
			return "", false
		}
	}
	return s, true
}

func (c *compiler) include(p *parser, at token, file string) *Error {
	if c.fsys == nil {
		return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "#pragma include needs a file system (use Compile)")
	}
	if p.depth+1 > c.opts.MaxIncludeDepth {
		return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "includes nest deeper than %d files", c.opts.MaxIncludeDepth)
	}
	f := strings.ReplaceAll(file, `\`, "/")
	var full string
	if strings.HasPrefix(f, "/") {
		full = path.Clean(strings.TrimLeft(f, "/"))
	} else {
		full = path.Join(path.Dir(p.lx.src.name), f)
	}
	if !fs.ValidPath(full) || full == "." {
		return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "include file %q is outside the file system", file)
	}
	for _, s := range c.stack {
		if s == full {
			return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "include cycle: %s includes %s again", strings.Join(c.stack, " → "), full)
		}
	}
	b, err := fs.ReadFile(c.fsys, full)
	if err != nil {
		return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "cannot read include file %s: %v", full, err)
	}
	if len(b) > MaxFileSize {
		return errAt(at, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, "include file %s is larger than %d bytes", full, MaxFileSize)
	}
	return c.parse(full, b, p.depth+1)
}

func checkQualifierName(t token) *Error {
	if len(t.text) > cim.MaxNameLength {
		return errAt(t, cim.WBEM_E_QUALIFIER_NAME_TOO_WIDE, "qualifier name is longer than %d characters", cim.MaxNameLength)
	}
	return nil
}

func (c *compiler) qualifierDecl(start, name token, t cim.Type, size int, def *literal, scopes Scope, set, clear cim.Flavor) *Error {
	if err := checkQualifierName(name); err != nil {
		return err
	}
	q := &QualifierType{Name: name.text, Type: t, Scopes: scopes, ArraySize: size,
		Flavor: (cim.DefaultFlavor | set) &^ clear}
	if def != nil {
		v, err := c.convert(def, t, "", 0)
		if err != nil {
			return err
		}
		q.Default = v
	}
	c.quals[lowerKey(c.nsKey, name.text)] = q
	c.add(Item{Pos: start.pos(), Namespace: c.ns, Qualifier: q})
	return nil
}

// qualifiers turns the qualifiers used on an element of the given scope into
// cim qualifiers: values converted to their declared types (or typed by their
// value when undeclared, as WMI allows), flavors from the declaration (or
// cim.StandardFlavor) changed by the flavors given at the use.
func (c *compiler) qualifiers(uses []qualUse, scope Scope) (cim.Qualifiers, *Error) {
	if len(uses) == 0 {
		return nil, nil
	}
	out := make(cim.Qualifiers, 0, len(uses))
	for i := range uses {
		u := &uses[i]
		if err := checkQualifierName(u.name); err != nil {
			return nil, err
		}
		for j := range i {
			if strings.EqualFold(uses[j].name.text, u.name.text) {
				return nil, errAt(u.name, cim.WBEMMOF_E_DUPLICATE_QUALIFIER, "qualifier %s is given twice", u.name.text)
			}
		}
		decl := c.quals[lowerKey(c.nsKey, u.name.text)]
		q := cim.Qualifier{Name: u.name.text}
		var base cim.Flavor
		if decl != nil {
			if decl.Scopes&scope == 0 {
				return nil, errAt(u.name, cim.WBEMMOF_E_QUALIFIER_USED_OUTSIDE_SCOPE, "qualifier %s may be used on %s, not on a %s", decl.Name, decl.Scopes, scope)
			}
			q.Name = decl.Name
			base = decl.Flavor
			switch {
			case u.val == nil && decl.Type == cim.TypeBoolean:
				q.Value = cim.Bool(true)
			case u.val == nil:
				q.Value = decl.Default
			default:
				lit := *u.val
				if decl.Type.IsArray() && lit.kind != litArray && lit.kind != litNull {
					lit = literal{kind: litArray, tok: lit.tok, elems: []literal{lit}}
				}
				v, err := c.convert(&lit, decl.Type, "", 0)
				if err != nil {
					return nil, err
				}
				q.Value = v
			}
		} else {
			base = cim.StandardFlavor(u.name.text)
			if u.val == nil {
				q.Value = cim.Bool(true)
			} else {
				t, err := inferType(u.val)
				if err != nil {
					return nil, err
				}
				v, err := c.convert(u.val, t, "", 0)
				if err != nil {
					return nil, err
				}
				q.Value = v
			}
		}
		q.Flavor = (base | u.set) &^ u.clear
		if q.Flavor == 0 {
			// cim treats flavor 0 as "not set" and would apply the standard
			// flavor; ToInstance marks a restricted qualifier as set.
			q.Flavor = cim.FlavorToInstance
		}
		out = append(out, q)
	}
	return out, nil
}

// inferType types the value of an undeclared qualifier: integers are sint32
// (sint64 or uint64 when they do not fit), reals real64, and an array takes
// the type of its first non-NULL element (string for an empty one).
func inferType(l *literal) (cim.Type, *Error) {
	switch l.kind {
	case litNull:
		return cim.TypeString, nil
	case litBool:
		return cim.TypeBoolean, nil
	case litInt:
		switch {
		case l.neg && l.u <= 1<<31, !l.neg && l.u < 1<<31:
			return cim.TypeSint32, nil
		case l.neg && l.u <= 1<<63, !l.neg && l.u < 1<<63:
			return cim.TypeSint64, nil
		}
		if l.neg {
			return 0, errAt(l.tok, cim.WBEMMOF_E_OUT_OF_RANGE, "integer does not fit in sint64")
		}
		return cim.TypeUint64, nil
	case litReal:
		return cim.TypeReal64, nil
	case litString:
		return cim.TypeString, nil
	case litChar:
		return cim.TypeChar16, nil
	case litArray:
		for i := range l.elems {
			if l.elems[i].kind != litNull {
				t, err := inferType(&l.elems[i])
				return t.ArrayOf(), err
			}
		}
		return cim.TypeString.ArrayOf(), nil
	}
	return 0, errAt(l.tok, cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "a qualifier value must be a constant")
}

// class compiles a class declaration against its superclass.
func (c *compiler) class(d *classDecl, keyword string) *Error {
	if keyword != "" {
		q := "Association"
		if strings.EqualFold(keyword, "indication") {
			q = "Indication"
		}
		has := false
		for _, u := range d.quals {
			has = has || strings.EqualFold(u.name.text, q)
		}
		if !has {
			d.quals = append(d.quals, qualUse{name: token{kind: tIdent, text: q, src: d.start.src, off: d.start.off, line: d.start.line, lsol: d.start.lsol}})
		}
	}
	var parent *cim.Class
	if d.super.kind == tIdent {
		var err *Error
		if parent, err = c.lookupClass(d.super); err != nil {
			return err
		}
		if parent == nil {
			return errAt(d.super, cim.WBEM_E_INVALID_SUPERCLASS, "superclass %s of class %s is not defined in %s", d.super.text, d.name.text, c.ns)
		}
	}
	scope := ScopeClass
	isAssoc := parent != nil && parent.IsAssociation()
	isIndic := parent != nil && parent.Qualifiers.Has("Indication")
	for _, u := range d.quals {
		on := u.val == nil || u.val.kind == litBool && u.val.b
		if strings.EqualFold(u.name.text, "Association") {
			isAssoc = on
		}
		if strings.EqualFold(u.name.text, "Indication") {
			isIndic = on
		}
	}
	if isAssoc {
		scope = ScopeAssociation
	} else if isIndic {
		scope = ScopeIndication
	}
	decl := &cim.Class{Name: d.name.text, Namespace: c.ns}
	if d.super.kind == tIdent {
		decl.Superclass = d.super.text
	}
	var err *Error
	if decl.Qualifiers, err = c.qualifiers(d.quals, scope); err != nil {
		return err
	}
	decl.Properties = make([]cim.Property, 0, len(d.props))
	for i := range d.props {
		pd := &d.props[i]
		if err := c.checkType(&pd.typ); err != nil {
			return err
		}
		sc := ScopeProperty
		if pd.typ.t.Elem() == cim.TypeReference {
			sc = ScopeReference
		}
		qs, err := c.qualifiers(pd.quals, sc)
		if err != nil {
			return err
		}
		qs = withArraySize(qs, pd.typ.arraySize)
		if err := checkCIMType(pd, qs); err != nil {
			return err
		}
		prop := cim.Property{Name: pd.name.text, Type: pd.typ.t, RefClass: pd.typ.refClass, Qualifiers: qs}
		if pd.def != nil {
			if prop.Default, err = c.convert(pd.def, pd.typ.t, pd.typ.refClass, 0); err != nil {
				return err
			}
		}
		decl.Properties = append(decl.Properties, prop)
	}
	for i := range d.methods {
		md := &d.methods[i]
		if md.ret.t != cim.TypeEmpty {
			if err := c.checkType(&md.ret); err != nil {
				return err
			}
		}
		qs, err := c.qualifiers(md.quals, ScopeMethod)
		if err != nil {
			return err
		}
		// An explicit CIMTYPE must match the return type, as on a property
		// (it may name the class of an object return).
		ret := propDecl{name: md.name, typ: md.ret}
		if err := checkCIMType(&ret, qs); err != nil {
			return err
		}
		md.ret = ret.typ
		m := cim.Method{Name: md.name.text, ReturnType: md.ret.t, Qualifiers: qs, Params: make([]cim.Parameter, 0, len(md.params))}
		if md.ret.objClass || md.ret.t == cim.TypeReference {
			m.Qualifiers = m.Qualifiers.With(cim.Qualifier{Name: "CIMTYPE", Value: cim.String(typeText(md.ret.t, md.ret.refClass)), Flavor: cim.FlavorToSubclass})
		}
		for j := range md.params {
			pd := &md.params[j]
			if err := c.checkType(&pd.typ); err != nil {
				return err
			}
			pqs, err := c.qualifiers(pd.quals, ScopeParameter)
			if err != nil {
				return err
			}
			pqs = withArraySize(pqs, pd.typ.arraySize)
			if err := checkCIMType(pd, pqs); err != nil {
				return err
			}
			prm := cim.Parameter{Name: pd.name.text, Type: pd.typ.t, RefClass: pd.typ.refClass, Qualifiers: pqs}
			if !prm.In() && !prm.Out() {
				return errAt(pd.name, cim.WBEMMOF_E_MUST_BE_IN_OR_OUT, "parameter %s of method %s is neither IN nor OUT", pd.name.text, md.name.text)
			}
			m.Params = append(m.Params, prm)
		}
		decl.Methods = append(decl.Methods, m)
	}
	cl, derr := cim.Derive(parent, decl)
	if derr != nil {
		e := cim.AsError(derr)
		return errAt(d.name, e.Status, "class %s: %s", d.name.text, e.Description)
	}
	if err := checkAssociation(cl, d); err != nil {
		return err
	}
	c.classes[lowerKey(c.nsKey, cl.Name)] = cl
	it := Item{Pos: d.start.pos(), Namespace: c.ns, Class: cl, Flags: c.classFl}
	if d.alias.kind == tAlias {
		if err := c.defineAlias(d.alias, &aliasTarget{tok: d.alias, class: cl, ns: c.ns}); err != nil {
			return err
		}
		it.Alias = d.alias.val
	}
	c.add(it)
	return nil
}

// checkAssociation applies WMI's rules: an association has at least two
// references (its own or inherited) and only associations have reference
// properties.
func checkAssociation(cl *cim.Class, d *classDecl) *Error {
	refs := 0
	for i := range cl.Properties {
		if cl.Properties[i].Type.Elem() == cim.TypeReference {
			refs++
		}
	}
	if cl.IsAssociation() {
		if refs < 2 && !cl.IsAbstract() {
			return errAt(d.name, cim.WBEM_E_INVALID_ASSOCIATION, "association %s has %d reference(s); it needs at least 2", cl.Name, refs)
		}
		return nil
	}
	for i := range d.props {
		if d.props[i].typ.t.Elem() == cim.TypeReference {
			return errAt(d.props[i].name, cim.WBEM_E_INVALID_ASSOCIATION, "reference %s is declared in %s, which is not an association", d.props[i].name.text, cl.Name)
		}
	}
	return nil
}

// checkCIMType checks an explicit CIMTYPE qualifier against the declared
// type, as mofcomp does; on an untyped object or reference ("object:Class",
// "ref:Class") it supplies the class.
func checkCIMType(pd *propDecl, qs cim.Qualifiers) *Error {
	q, ok := qs.Get("CIMTYPE")
	if !ok {
		return nil
	}
	text := q.Value.Str()
	base, cls, hasClass := strings.Cut(text, ":")
	t, err := cim.ParseType(base)
	if q.Value.Type() != cim.TypeString || err != nil || t != pd.typ.t.Elem() ||
		hasClass && (t != cim.TypeReference && t != cim.TypeObject || !validName(cls) ||
			pd.typ.refClass != "" && !strings.EqualFold(pd.typ.refClass, cls)) {
		return errAt(pd.name, cim.WBEMMOF_E_CIMTYPE_QUALIFIER, "CIMTYPE %q does not match the type %s of %s", text, typeName(pd.typ.t, pd.typ.refClass), pd.name.text)
	}
	if hasClass && pd.typ.refClass == "" {
		pd.typ.refClass = cls
	}
	return nil
}

func withArraySize(qs cim.Qualifiers, size int) cim.Qualifiers {
	if size <= 0 {
		return qs
	}
	return qs.With(cim.Qualifier{Name: ArraySizeQualifier, Value: cim.Sint32(int32(size)), Flavor: cim.FlavorToInstance})
}

func typeText(t cim.Type, refClass string) string {
	switch t.Elem() {
	case cim.TypeReference:
		return "ref:" + refClass
	case cim.TypeObject:
		return "object:" + refClass
	}
	return t.Elem().String()
}

// checkType verifies that a class used as an embedded object's type exists.
func (c *compiler) checkType(ts *typeSpec) *Error {
	if !ts.objClass {
		return nil
	}
	cl, err := c.lookupClass(ts.tok)
	if err != nil {
		return err
	}
	if cl == nil {
		return errAt(ts.tok, cim.WBEMMOF_E_UNRECOGNIZED_TYPE, "%s is neither a data type nor a class", ts.tok.text)
	}
	ts.refClass = cl.Name
	return nil
}

func (c *compiler) defineAlias(t token, target *aliasTarget) *Error {
	k := strings.ToLower(t.val)
	if prev, ok := c.aliases[k]; ok {
		return errAt(t, cim.WBEMMOF_E_MULTIPLE_ALIASES, "alias $%s is already defined at %s", t.val, prev.tok.pos())
	}
	c.aliases[k] = target
	return nil
}

// instance compiles a top-level instance declaration.
func (c *compiler) instance(d *instDecl, _ []qualUse) *Error {
	inst, st, err := c.buildInstance(d, 0)
	if err != nil {
		return err
	}
	it := Item{Pos: d.start.pos(), Namespace: c.ns, Instance: inst, Flags: c.instFl}
	if d.alias.kind == tAlias {
		if err := c.defineAlias(d.alias, &aliasTarget{tok: d.alias, inst: st, ns: c.ns}); err != nil {
			return err
		}
		it.Alias = d.alias.val
	}
	c.add(it)
	return nil
}

func hasAlias(l *literal) bool {
	if l.kind == litAlias {
		return true
	}
	for i := range l.elems {
		if l.elems[i].kind == litAlias {
			return true
		}
	}
	return false
}

// buildInstance makes the instance; depth > 0 for embedded instances, which
// may not use aliases.
func (c *compiler) buildInstance(d *instDecl, depth int) (*cim.Instance, *instState, *Error) {
	cl, err := c.lookupClass(d.class)
	if err != nil {
		return nil, nil, err
	}
	if cl == nil {
		return nil, nil, errAt(d.class, cim.WBEM_E_INVALID_CLASS, "class %s is not defined in %s", d.class.text, c.ns)
	}
	if depth > 0 && d.alias.kind == tAlias {
		return nil, nil, errAt(d.alias, cim.WBEMMOF_E_ALIASES_IN_EMBEDDED, "an embedded instance cannot have an alias")
	}
	inst := cl.NewInstance()
	inst.SetLocation("", c.ns)
	st := &instState{inst: inst, ns: c.ns}
	for i := range d.props {
		pi := &d.props[i]
		idx := cl.PropertyIndex(pi.name.text)
		if idx < 0 {
			return nil, nil, errAt(pi.name, cim.WBEM_E_NOT_FOUND, "class %s has no property %s", cl.Name, pi.name.text)
		}
		prop := &cl.Properties[idx]
		if hasAlias(&pi.val) {
			if depth > 0 {
				return nil, nil, errAt(pi.val.tok, cim.WBEMMOF_E_ALIASES_IN_EMBEDDED, "an embedded instance cannot use aliases")
			}
			if prop.Type.Elem() != cim.TypeReference {
				return nil, nil, errAt(pi.val.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "an alias can only be the value of a reference, and %s is %s", prop.Name, prop.Type)
			}
			st.deferred = append(st.deferred, deferredProp{idx: idx, lit: pi.val})
			continue
		}
		v, err := c.convert(&pi.val, prop.Type, prop.RefClass, depth)
		if err != nil {
			return nil, nil, err
		}
		inst.SetAt(idx, v)
	}
	if len(st.deferred) > 0 {
		c.insts = append(c.insts, st)
	} else {
		st.done = true
	}
	return inst, st, nil
}

// resolveAliases fills in alias-valued references once every alias is known.
func (c *compiler) resolveAliases() *Error {
	for _, st := range c.insts {
		if err := c.resolveKeys(st, token{}); err != nil {
			return err
		}
	}
	for _, st := range c.insts {
		cl := st.inst.Class()
		for _, dp := range st.deferred {
			if cl.Properties[dp.idx].IsKey() {
				continue
			}
			if err := c.resolveProp(st, dp); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveKeys resolves the alias-valued keys of st, which its path needs.
func (c *compiler) resolveKeys(st *instState, use token) *Error {
	if st.done {
		return nil
	}
	if st.resolving {
		return errAt(use, cim.WBEM_E_CIRCULAR_REFERENCE, "the keys of instances refer to each other in a circle through $%s", use.val)
	}
	st.resolving = true
	cl := st.inst.Class()
	for _, dp := range st.deferred {
		if cl.Properties[dp.idx].IsKey() {
			if err := c.resolveProp(st, dp); err != nil {
				return err
			}
		}
	}
	st.resolving = false
	st.done = true
	return nil
}

func (c *compiler) aliasPath(l *literal, from *instState) (string, *Error) {
	t, ok := c.aliases[strings.ToLower(l.s)]
	if !ok {
		return "", errAt(l.tok, cim.WBEMMOF_E_UNEXPECTED_ALIAS, "alias $%s is not defined", l.s)
	}
	var p cim.ObjectPath
	if t.class != nil {
		p = t.class.ObjectPath()
		p.Namespace = t.ns
	} else {
		if err := c.resolveKeys(t.inst, l.tok); err != nil {
			return "", err
		}
		in := t.inst.inst
		cl := in.Class()
		if !cl.IsSingleton() {
			if len(cl.Keys()) == 0 {
				return "", errAt(l.tok, cim.WBEM_E_NO_KEY, "alias $%s names an instance of %s, which has no key and so no path", l.s, cl.Name)
			}
			for _, k := range cl.Keys() {
				if in.At(k).IsNull() {
					return "", errAt(l.tok, cim.WBEM_E_ILLEGAL_NULL, "alias $%s names an instance whose key %s is NULL, so it has no path", l.s, cl.Properties[k].Name)
				}
			}
		}
		p = in.ObjectPath()
	}
	p.Server = ""
	if cim.EqualFold(t.ns, from.ns) {
		return p.RelPath(), nil
	}
	return p.String(), nil
}

func (c *compiler) resolveProp(st *instState, dp deferredProp) *Error {
	prop := &st.inst.Class().Properties[dp.idx]
	lit := dp.lit
	var v cim.Value
	switch {
	case lit.kind == litAlias:
		if prop.Type.IsArray() {
			return errAt(lit.tok, cim.WBEMMOF_E_TYPE_MISMATCH, "%s is an array; give {$alias, …}", prop.Name)
		}
		s, err := c.aliasPath(&lit, st)
		if err != nil {
			return err
		}
		v = cim.RefString(s)
	default: // an array holding aliases
		if !prop.Type.IsArray() {
			return errAt(lit.tok, cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT, "%s is not an array", prop.Name)
		}
		vals := make([]cim.Value, len(lit.elems))
		for i := range lit.elems {
			e := &lit.elems[i]
			if e.kind == litAlias {
				s, err := c.aliasPath(e, st)
				if err != nil {
					return err
				}
				vals[i] = cim.RefString(s)
				continue
			}
			x, err := c.convert(e, cim.TypeReference, prop.RefClass, 0)
			if err != nil {
				return err
			}
			vals[i] = x
		}
		var err error
		if v, err = cim.ArrayOf(cim.TypeReference, vals); err != nil {
			return errAt(lit.tok, cim.StatusOf(err), "%s", cim.AsError(err).Description)
		}
	}
	st.inst.SetAt(dp.idx, v)
	return nil
}
